# want: 9:13 Duplicate service name
site "a" {
  profile = "home"
  device "nvr" {
    service "main" {
      protocol = "tcp"
      port     = 37777
    }
    service "main" {
      protocol = "tcp"
      port     = 554
    }
  }
}
