# want: 7:18 Invalid value for device.nvr.service.main.port
site "a" {
  profile = "home"
  device "nvr" {
    service "main" {
      protocol = "tcp"
      port     = 70000
    }
  }
}
