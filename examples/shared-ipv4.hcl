# An IPv4 address shared between customers, each with a range of ports (as
# Free does): PAT works, but only inside the assigned range.
site "office-shared-ipv4" {
  description = "Accounting office, box in shared-IPv4 mode"
  profile     = "small_business"
  online      = true

  wan {
    ipv4              = "198.51.100.77"
    ipv4_fixed        = true
    shared_ipv4_ports = "16384-32767"
  }

  router {
    nat = "port_restricted_cone"
  }

  device "nvr" {
    ipv4 = "192.168.1.30"
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
    sources = ["0.0.0.0/0"]
  }
}
