# want: 6:18 Invalid value for device.nvr.service.main.protocol
site "a" {
  profile = "home"
  device "nvr" {
    service "main" {
      protocol = "sctp"
      port     = 37777
    }
  }
}
