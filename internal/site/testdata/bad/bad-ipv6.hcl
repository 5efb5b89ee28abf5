# want: 5:12 Invalid value for device.cam.ipv6
site "a" {
  profile = "home"
  device "cam" {
    ipv6 = "2001:db8::zz"
  }
}
