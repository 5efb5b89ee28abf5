# want: 8:23 Invalid value for device.nvr.service.main.external_port
site "a" {
  profile = "home"
  device "nvr" {
    service "main" {
      protocol      = "tcp"
      port          = 37777
      external_port = 0
    }
  }
}
