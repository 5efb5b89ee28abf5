# want: 6:16 Invalid value for auto_register.port
site "a" {
  profile = "monitoring_center"
  auto_register {
    platform = "203.0.113.50"
    port     = 70.5
  }
}
