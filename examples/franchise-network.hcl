# Several shops of one franchise in one file: they share the hub, the NVR
# model and its ports through variables and locals.
variable "hub" {
  type    = string
  default = "vpn.franchise.example:51820"
}

variable "nvr_port" {
  type    = number
  default = 37777
}

locals {
  hub_key = "jrcUCXCXTGvfL0TVD5zsREoXcSw1KeqNqpLabJAWSzE="
  tunnel  = "10.77.0.0/24"
  shops = {
    lyon     = { ip = "198.51.100.201", host = 2, online = true }
    nantes   = { ip = "198.51.100.202", host = 3, online = true }
    toulouse = { ip = "198.51.100.203", host = 4, online = false } # device not yet registered
  }
}

site "franchise-lyon" {
  description = "Franchise shop, Lyon"
  profile     = "home"
  online      = true

  wan {
    ipv4       = local.shops.lyon.ip
    ipv4_fixed = true
  }

  router {
    nat = "port_restricted_cone"
  }

  device "nvr" {
    ipv4 = "192.168.1.100"
    service "main" {
      protocol = "tcp"
      port     = var.nvr_port
    }
  }

  clients {
    nat = "symmetric"
  }
}

# The two shops behind a firewall differ only in what each.value holds:
# one block, one site per key (franchise-nantes, franchise-toulouse).
site "franchise" {
  for_each    = { for name, shop in local.shops : name => shop if name != "lyon" }
  description = "Franchise shop, ${title(each.key)} (behind a firewall)"
  profile     = "secured"
  online      = each.value.online

  wan {
    ipv4       = each.value.ip
    ipv4_fixed = true
  }

  router {
    firewall = true
    nat      = "port_restricted_cone"
  }

  device "nvr" {
    ipv4 = "192.168.1.100"
    service "main" {
      protocol = "tcp"
      port     = var.nvr_port
    }
  }

  clients {
    nat = "symmetric"
  }

  vpn {
    hub            = var.hub
    hub_public_key = local.hub_key
    tunnel         = local.tunnel
    address        = format("10.77.0.%d/32", each.value.host)
  }
}
