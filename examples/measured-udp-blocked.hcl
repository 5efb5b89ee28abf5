# A monitored site whose network lets no UDP out: `p2pplan probe` got no
# answer at all (measurements/monitored-udp-blocked.json, made in the test
# lab). P2P and WireGuard are both impossible (P2P-006); the recorder
# registers to the monitoring centre's platform over TCP.
site "atm-monitored" {
  description = "Bank branch ATM lobby, supervised by a monitoring centre"
  profile     = "monitoring_center"
  online      = true
  measurement = "measurements/monitored-udp-blocked.json"

  router {
    nat = "port_restricted_cone"
  }

  device "nvr" {
    ipv4 = "10.0.1.30"
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
