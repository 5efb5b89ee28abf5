# want: 2:6 Invalid site name
site "shop" {
  for_each = toset(["lyon", "Saint Etienne"])
  profile  = "home"
}
