# A router doing symmetric NAT (as some Orange boxes do): with symmetric
# clients, P2P cannot find a direct path. The line has a fixed IPv4.
site "garage-symmetric" {
  description = "Car repair shop, operator box with symmetric NAT"
  profile     = "small_business"
  online      = true

  wan {
    ipv4       = "203.0.113.88"
    ipv4_fixed = true
  }

  router {
    nat = "symmetric"
  }

  device "nvr" {
    ipv4 = "192.168.1.64"
    service "main" {
      protocol = "tcp"
      port     = 8000
    }
  }

  clients {
    nat     = "symmetric"
    sources = ["0.0.0.0/0"]
  }
}
