# want: 5:22 Invalid value for vpn.hub_public_key
site "a" {
  profile = "secured"
  vpn {
    hub_public_key = "not-a-key"
  }
}
