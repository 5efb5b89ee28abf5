# want: 7:12 Invalid value for device.nvr.ipv4
site "a" {
  profile = "home"
  device "nvr" {
    description = "ok"

    ipv4 = "2001:db8::1"
  }
}
