# want: 4:13 Incorrect attribute value type
site "a" {
  profile = "home"
  online  = "maybe"
}
