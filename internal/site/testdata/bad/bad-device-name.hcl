# want: 4:10 Invalid device name
site "a" {
  profile = "home"
  device "nvr;rm" {}
}
