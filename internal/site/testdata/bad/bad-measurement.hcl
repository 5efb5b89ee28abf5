# want: 4:17 Invalid measurement
site "a" {
  profile     = "home"
  measurement = "../measurements/bad-nat.json"
}
