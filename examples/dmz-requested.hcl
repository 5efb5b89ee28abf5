# The customer asks for the NVR to be put in the router's DMZ. The field guide
# calls DMZ a security disaster: every port is exposed. p2pplan refuses it
# (SEC-001, exit 1) and shows what it would choose instead.
site "warehouse-dmz" {
  description = "Warehouse; the installer wants \"DMZ on the NVR\""
  profile     = "small_business"
  online      = true
  request     = "dmz"

  wan {
    ipv4       = "203.0.113.140"
    ipv4_fixed = true
  }

  router {
    nat      = "port_restricted_cone"
    dmz_host = "192.168.1.200"
  }

  device "nvr" {
    ipv4 = "192.168.1.200"
    service "main" {
      protocol = "tcp"
      port     = 37777
    }
  }

  clients {
    nat = "symmetric"
  }
}
