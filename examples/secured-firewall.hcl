# A pharmacy chain's back office behind a firewall. P2P is not compliant with
# a firewall-protected network; the field guide's answer is a VPN.
site "pharmacy-secured" {
  description = "Pharmacy back office, secured network"
  profile     = "secured"
  online      = true

  wan {
    ipv4       = "203.0.113.10"
    ipv4_fixed = true
  }

  router {
    firewall = true
    nat      = "port_restricted_cone"
  }

  device "nvr" {
    ipv4 = "10.20.0.50"
    service "main" {
      protocol = "tcp"
      port     = 37777
    }
    service "rtsp" {
      protocol = "tcp"
      port     = 554
    }
  }

  clients {
    nat     = "port_restricted_cone"
    sources = ["10.99.0.0/24"]
  }

  vpn {
    hub            = "vpn.example.net:51820"
    hub_public_key = "n9TcWYSm5CeJMCzbCCa0mFm2g+tHkKalIAaK78anMCc="
    tunnel         = "10.99.0.0/24"
    address        = "10.99.0.2/32"
    routes         = ["10.99.0.0/24"]
  }
}
