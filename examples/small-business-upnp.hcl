# A bakery whose box has UPnP on: the NVR already opened its default port on
# its own. Field guide: UPnP is risky, PAT on a non-default port instead.
site "bakery-martin" {
  description = "Bakery, NVR and two cameras in the shop"
  profile     = "small_business"
  online      = true

  wan {
    ipv4       = "198.51.100.40"
    ipv4_fixed = true
  }

  router {
    upnp = true
    nat  = "port_restricted_cone"
  }

  device "nvr" {
    ipv4 = "192.168.0.20"
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
    nat     = "symmetric"
    sources = ["203.0.113.0/24"]
  }
}
