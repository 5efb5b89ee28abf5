# An alarm-monitoring centre's customer: the recorder dials the centre's
# platform itself, so the only exposed port is on the centre's side.
site "jeweller-monitored" {
  description = "Jeweller, NVR supervised by an alarm-monitoring centre"
  profile     = "monitoring_center"
  online      = true

  wan {
    operator_nat = true
  }

  router {
    nat = "symmetric"
  }

  device "nvr" {
    ipv4 = "192.168.10.5"
    service "main" {
      protocol = "tcp"
      port     = 37777
    }
  }

  clients {
    nat = "open"
  }

  auto_register {
    platform = "203.0.113.50"
    port     = 7000
  }
}
