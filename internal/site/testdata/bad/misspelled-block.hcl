# want: 4:3 Unsupported block type
site "a" {
  profile = "home"
  routr {
    nat = "symmetric"
  }
}
