# The operator restricts NAT on its box (no port forwarding offered): PAT is
# out; the site dials a VPN hub instead.
site "restaurant-restricted" {
  description = "Restaurant on a business line with a locked-down box"
  profile     = "home"
  online      = true

  wan {
    ipv4                  = "198.51.100.130"
    ipv4_fixed            = true
    operator_restrictions = true
  }

  router {
    nat = "restricted_cone"
  }

  device "nvr" {
    ipv4 = "192.168.1.10"
    service "main" {
      protocol = "tcp"
      port     = 37777
    }
  }

  clients {
    nat = "port_restricted_cone"
  }

  vpn {
    hub            = "vpn.example.net:51820"
    hub_public_key = "n9TcWYSm5CeJMCzbCCa0mFm2g+tHkKalIAaK78anMCc="
    tunnel         = "10.99.0.0/24"
    address        = "10.99.0.12/32"
  }
}
