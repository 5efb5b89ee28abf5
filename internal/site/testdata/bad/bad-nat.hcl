# want: 5:11 Invalid value for router.nat
site "a" {
  profile = "home"
  router {
    nat = "cone"
  }
}
