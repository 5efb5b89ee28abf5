# want: 5:19 Invalid value for wan.ipv6_prefix
site "a" {
  profile = "home"
  wan {
    ipv6_prefix = "2001:db8:20::1/56"
  }
}
