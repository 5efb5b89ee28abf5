# want: 6:15 Invalid value for vpn.address
site "a" {
  profile = "secured"
  vpn {
    tunnel  = "10.99.0.0/24"
    address = "10.98.0.2/32"
  }
}
