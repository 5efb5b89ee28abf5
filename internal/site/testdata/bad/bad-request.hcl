# want: 4:13 Invalid value for request
site "a" {
  profile = "home"
  request = "portforward"
}
