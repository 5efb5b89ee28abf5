# A chain of pharmacies described once, Terraform style: for_each makes one
# site per key ("pharmacy-<key>"), each.value holds what differs. Every shop
# has a fixed IPv4 of its own and one NVR: static PAT on non-default ports,
# reachable only from the chain's head-office network.
variable "head_office" {
  type    = string
  default = "203.0.113.0/28"
}

locals {
  shops = {
    annecy   = { ip = "198.51.100.151", nat = "port_restricted_cone" }
    chambery = { ip = "198.51.100.152", nat = "symmetric" }
    grenoble = { ip = "198.51.100.153", nat = "port_restricted_cone" }
  }
}

site "pharmacy" {
  for_each    = local.shops
  description = "Pharmacy in ${title(each.key)}"
  profile     = "small_business"
  online      = true

  wan {
    ipv4       = each.value.ip
    ipv4_fixed = true
  }

  router {
    nat = each.value.nat
  }

  device "nvr" {
    ipv4 = "192.168.1.108"
    service "main" {
      protocol = "tcp"
      port     = 37777
    }
  }

  clients {
    nat     = "symmetric"
    sources = [var.head_office]
  }
}
