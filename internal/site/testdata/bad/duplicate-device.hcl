# want: 5:10 Duplicate device name
site "a" {
  profile = "home"
  device "nvr" {}
  device "nvr" {}
}
