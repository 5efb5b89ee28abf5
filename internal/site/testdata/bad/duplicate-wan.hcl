# want: 5:3 Duplicate wan block
site "a" {
  profile = "home"
  wan {}
  wan {}
}
