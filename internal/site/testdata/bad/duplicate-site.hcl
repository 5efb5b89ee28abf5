# want: 5:6 Duplicate site name
site "a" {
  profile = "home"
}
site "a" {
  profile = "home"
}
