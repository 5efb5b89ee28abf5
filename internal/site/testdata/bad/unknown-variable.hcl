# want: 3:16 Unsupported attribute
site "a" {
  profile = var.profile
}
