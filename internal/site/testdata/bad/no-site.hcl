# want: 1:1 No site
locals {
  a = 1
}
