package site

import (
	"os"
	"path/filepath"
	"testing"
)

// TestTerraformFeatures: variables, locals (in any order), functions,
// for_each over a map and a set, and dynamic blocks, as Terraform users
// write them, with sources pointing into the block that made each site.
func TestTerraformFeatures(t *testing.T) {
	src := `variable "port" {
  type    = number
  default = 37777
}

locals {
  hub_port = local.base_port + 1
  base_port = 51819
  shops = {
    lyon   = { ip = "198.51.100.10", cams = ["a", "b"] }
    nantes = { ip = "198.51.100.11", cams = ["c"] }
  }
}

site "shop" {
  for_each    = local.shops
  description = upper(each.key)
  profile     = "small_business"
  wan {
    ipv4 = each.value.ip
  }
  dynamic "device" {
    for_each = each.value.cams
    content {
      ipv4 = format("192.168.1.%d", 10 + device.key)
      service "main" {
        protocol = "tcp"
        port     = var.port
      }
    }
    labels = ["cam-${device.value}"]
  }
  vpn {
    hub = "vpn.example.net:${local.hub_port}"
  }
}

site "spare" {
  for_each = toset(["one", "two"])
  profile  = "home"
}
`
	path := filepath.Join(t.TempDir(), "chain.hcl")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	var sites []*Site
	l := NewLoader()
	if diags := l.LoadFile(path, func(s *Site) { sites = append(sites, s) }); diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	var names []string
	for _, s := range sites {
		names = append(names, s.Name)
	}
	want := []string{"shop-lyon", "shop-nantes", "spare-one", "spare-two"}
	if len(names) != len(want) {
		t.Fatalf("sites %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("sites %v, want %v", names, want)
		}
	}
	lyon := sites[0]
	if lyon.Description != "LYON" || lyon.WAN.IPv4 != "198.51.100.10" || lyon.VPN.Hub != "vpn.example.net:51820" {
		t.Errorf("lyon = %+v", lyon)
	}
	if len(lyon.Devices) != 2 || lyon.Devices[1].Name != "cam-b" || lyon.Devices[1].IPv4 != "192.168.1.11" || lyon.Devices[1].Services[0].Port != 37777 {
		t.Errorf("lyon devices = %+v", lyon.Devices)
	}
	if src := lyon.SourceOf("wan.ipv4"); src.Line != 20 || src.File != path {
		t.Errorf("wan.ipv4 source = %+v, want line 20", src)
	}
	if src := sites[3].SourceOf("router.nat"); src.Line != 38 {
		t.Errorf("a default falls back to the site block: %+v, want line 38", src)
	}
}
