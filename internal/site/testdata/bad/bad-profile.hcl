# want: 3:13 Invalid value for profile
site "a" {
  profile = "hotel"
}
