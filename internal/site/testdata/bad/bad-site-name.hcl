# want: 2:6 Invalid site name
site "Lyon Pharmacy" {
  profile = "home"
}
