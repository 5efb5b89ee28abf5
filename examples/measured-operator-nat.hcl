# The installer declared a full-cone box with a public IPv4; `p2pplan probe`
# run on the shop's LAN (measurements/shop-operator-nat.json, made in the
# test lab) found a port-restricted cone behind a second NAT in 100.64.0.0/10:
# the operator NATs too. The measurement wins over the declaration
# (P2P-010), PAT is impossible (P2P-002), and the site dials a VPN hub.
site "shop-measured" {
  description = "Florist; the box's WAN page shows 100.64.0.2"
  profile     = "small_business"
  online      = true
  measurement = "measurements/shop-operator-nat.json"

  wan {
    ipv4       = "198.51.100.2"
    ipv4_fixed = true
  }

  router {
    nat = "full_cone"
  }

  device "nvr" {
    ipv4 = "10.0.1.20"
    service "main" {
      protocol = "tcp"
      port     = 37777
    }
  }

  clients {
    nat = "symmetric"
  }

  vpn {
    hub            = "198.51.100.1:51820"
    hub_public_key = "+XYbkVcP/8a3hIW6/WzU7F4z/rxHOXTzMDXZvl9XahM="
    tunnel         = "10.98.0.0/24"
    address        = "10.98.0.9/32"
  }
}
