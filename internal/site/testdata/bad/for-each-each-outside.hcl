# want: 3:17 Unknown variable
site "shop" {
  description = each.key
  profile     = "home"
}
