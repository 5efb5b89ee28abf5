# want: 5:25 Invalid value for wan.shared_ipv4_ports
site "a" {
  profile = "home"
  wan {
    shared_ipv4_ports = "32767-16384"
  }
}
