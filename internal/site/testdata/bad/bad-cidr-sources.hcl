# want: 5:15 Invalid value for clients.sources
site "a" {
  profile = "home"
  clients {
    sources = ["0.0.0.0/0", "198.51.100.0/33"]
  }
}
