# want: 5:12 Invalid value for wan.ipv4
site "a" {
  profile = "home"
  wan {
    ipv4 = "300.1.2.3"
  }
}
