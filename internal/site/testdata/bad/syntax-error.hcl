# want: 3:20 Missing newline after argument
site "a" {
  profile = "home" online = true
}
