# want: 5:16 Invalid value for router.dmz_host
site "a" {
  profile = "home"
  router {
    dmz_host = "the nvr"
  }
}
