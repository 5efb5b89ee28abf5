# want: 2:10 Missing required argument
site "a" {
  online = true
}
