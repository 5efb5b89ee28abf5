# want: 3:14 Invalid for_each argument
site "shop" {
  for_each = 3
  profile  = "home"
}
