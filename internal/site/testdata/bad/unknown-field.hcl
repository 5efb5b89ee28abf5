# want: 4:3 Unsupported argument
site "a" {
  profile = "home"
  profil  = "home"
}
