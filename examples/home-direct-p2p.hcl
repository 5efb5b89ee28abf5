# The easy case: cone NAT on both sides, no known issue. The vendor's P2P
# works directly, nothing needs to be exposed.
site "home-p2p-ok" {
  description = "Holiday home, camera watched from the owner's home"
  profile     = "home"
  online      = true

  router {
    nat = "full_cone"
  }

  device "cam" {
    ipv4 = "192.168.1.40"
    service "main" {
      protocol = "tcp"
      port     = 34567
    }
  }

  clients {
    nat = "port_restricted_cone"
  }
}
