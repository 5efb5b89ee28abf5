# IPv6-native on both sides: the NVR has a fixed IPv6 address inside the
# site's fixed prefix, and the remote clients have IPv6 too.
site "home-ipv6" {
  description = "Flat with a fibre line and a fixed IPv6 prefix"
  profile     = "home"
  online      = true

  wan {
    ipv6_prefix = "2001:db8:20::/56"
    ipv6_fixed  = true
  }

  router {
    nat = "port_restricted_cone"
  }

  device "nvr" {
    ipv4 = "192.168.1.50"
    ipv6 = "2001:db8:20::50"
    service "main" {
      protocol = "tcp"
      port     = 37777
    }
  }

  clients {
    nat     = "symmetric"
    ipv6    = true
    sources = ["2001:db8:ff00::/40"]
  }
}
