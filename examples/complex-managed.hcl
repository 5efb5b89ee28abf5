# A complex managed site (shared hospital network) where outbound UDP is
# blocked and no platform is available: nothing else fits, so a dedicated
# line and router with no link to the existing network.
site "hospital-managed" {
  description = "Hospital car park cameras on the hospital's managed network"
  profile     = "managed"
  online      = true

  router {
    firewall = true
    nat      = "udp_blocked"
  }

  device "nvr" {
    ipv4 = "172.16.40.10"
    service "main" {
      protocol = "tcp"
      port     = 37777
    }
  }

  clients {
    nat = "symmetric"
  }
}
