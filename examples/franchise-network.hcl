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
    lyon     = { ip = "198.51.100.201", host = 2 }
    nantes   = { ip = "198.51.100.202", host = 3 }
    toulouse = { ip = "198.51.100.203", host = 4 }
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

site "franchise-nantes" {
  description = "Franchise shop, Nantes (behind a firewall)"
  profile     = "secured"
  online      = true

  wan {
    ipv4       = local.shops.nantes.ip
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
    address        = format("10.77.0.%d/32", local.shops.nantes.host)
  }
}

site "franchise-toulouse" {
  description = "Franchise shop, Toulouse (device not yet registered)"
  profile     = "secured"
  online      = false

  wan {
    ipv4       = local.shops.toulouse.ip
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
    address        = format("10.77.0.%d/32", local.shops.toulouse.host)
  }
}
