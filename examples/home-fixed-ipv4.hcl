# A home with a fixed public IPv4 and one NVR. The owner watches from a phone
# on a mobile network (symmetric NAT), so P2P only works through the vendor's
# relay. Field guide: static PAT on a non-default external port.
site "home-dupont" {
  description = "Detached house, NVR with four cameras in the garage"
  profile     = "home"
  online      = true

  wan {
    ipv4       = "198.51.100.23"
    ipv4_fixed = true
  }

  router {
    nat = "port_restricted_cone"
  }

  device "nvr" {
    description = "4-channel NVR"
    ipv4        = "192.168.1.108"
    service "main" {
      protocol = "tcp"
      port     = 37777
    }
  }

  clients {
    nat     = "symmetric"
    sources = ["0.0.0.0/0"]
  }
}
