# want: 5:11 Invalid value for vpn.hub
site "a" {
  profile = "secured"
  vpn {
    hub = "vpn.example.net"
  }
}
