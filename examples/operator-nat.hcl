# A customer behind operator NAT (carrier-grade NAT, as Bouygues Telecom does
# for some lines): no public IPv4 of its own, so static PAT is impossible.
site "shop-cgnat" {
  description = "Shop on a 4G box behind the operator's NAT"
  profile     = "small_business"
  online      = true

  wan {
    operator_nat = true
  }

  router {
    nat = "port_restricted_cone"
  }

  device "nvr" {
    ipv4 = "192.168.8.100"
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
    address        = "10.98.0.7/32"
  }
}
