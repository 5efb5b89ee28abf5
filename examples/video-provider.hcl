# A video service provider hosts the viewing platform; cameras register to it.
site "carpark-vsaas" {
  description = "Car park cameras streamed to a video service provider"
  profile     = "video_provider"
  online      = true

  router {
    nat = "full_cone"
  }

  device "cam-entrance" {
    ipv4 = "192.168.50.11"
    service "main" {
      protocol = "tcp"
      port     = 37777
    }
  }

  device "cam-exit" {
    ipv4 = "192.168.50.12"
    service "main" {
      protocol = "tcp"
      port     = 37777
    }
  }

  clients {
    nat = "open"
  }

  auto_register {
    platform = "vsaas.example.net"
    port     = 7001
  }
}
