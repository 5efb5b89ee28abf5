package nftables

import (
	"github.com/p2pplan/p2pplan/internal/plan"
	"github.com/p2pplan/p2pplan/internal/site"
)

// hostile is free text that would break out of any naive comment or string.
const hostile = "x\" } ; drop\n# table inet evil { chain c { type filter hook input priority 0; policy drop; } }\r\n\\\"; flush ruleset ;'`$(id)`\u2028}"

// sampleSite is a small-business site with two devices, as the SPEC example.
func sampleSite(desc string) *site.Site {
	return &site.Site{
		Name:        "lyon-pharmacy",
		Description: desc,
		Profile:     "small_business",
		WAN:         site.WAN{IPv4: "198.51.100.23", IPv4Fixed: true, IPv6Prefix: "2001:db8:20::/56", IPv6Fixed: true},
		Devices: []site.Device{
			{Name: "nvr", Description: desc, IPv4: "192.168.1.108", IPv6: "2001:db8:20::108", Services: []site.Service{
				{Name: "main", Protocol: "tcp", Port: 37777},
				{Name: "rtsp", Protocol: "tcp", Port: 554},
			}},
			{Name: "cam-1", Description: desc, IPv4: "192.168.1.64", Services: []site.Service{
				{Name: "sip", Protocol: "udp", Port: 5060},
			}},
		},
		Clients: site.Clients{NAT: "symmetric", IPv6: true, Sources: []string{
			"198.51.100.0/25", "198.51.100.128/25", "203.0.113.0/24", "2001:db8:100::/48", "2001:db8:200::/48",
		}},
		VPN: &site.VPN{Hub: "vpn.example.net:51820", Tunnel: "10.99.0.0/24"},
	}
}

func exposure(mode, dev, svc, proto, pub string, ext int, devAddr string, port int) plan.Exposure {
	return plan.Exposure{Mode: mode, Device: dev, Service: svc, Protocol: proto, PublicAddress: pub,
		ExternalPort: ext, DeviceAddress: devAddr, DevicePort: port}
}

func samplePlan(desc string, sources []string) *plan.SitePlan {
	s := sampleSite(desc)
	if sources != nil {
		s.Clients.Sources = sources
	}
	return &plan.SitePlan{
		Site: s, Name: s.Name, File: "sites/lyon.hcl", Chosen: plan.ModePAT,
		// Deliberately unsorted: the output must not depend on this order.
		Exposures: []plan.Exposure{
			exposure("pat", "nvr", "rtsp", "tcp", "198.51.100.23", 40002, "192.168.1.108", 554),
			exposure("pat", "cam-1", "sip", "udp", "198.51.100.23", 40003, "192.168.1.64", 5060),
			exposure("pat", "nvr", "main", "tcp", "198.51.100.23", 40001, "192.168.1.108", 37777),
			exposure("ipv6", "nvr", "main", "tcp", "2001:db8:20::108", 40101, "2001:db8:20::108", 37777),
			exposure("ipv6", "nvr", "rtsp", "tcp", "2001:db8:20::108", 40102, "2001:db8:20::108", 554),
		},
	}
}

// goldenCase is one generated ruleset compared with testdata/<name>.nft.
type goldenCase struct {
	name string
	sp   *plan.SitePlan
	mode string
}

func goldenCases() []goldenCase {
	return []goldenCase{
		{"pat", samplePlan("Pharmacy", nil), plan.ModePAT},
		{"pat-any-source", samplePlan("Pharmacy", []string{"0.0.0.0/0", "::/0"}), plan.ModePAT},
		{"pat-one-source", samplePlan("Pharmacy", []string{"203.0.113.0/24"}), plan.ModePAT},
		{"ipv6", samplePlan("Pharmacy", nil), plan.ModeIPv6},
		{"vpn", samplePlan("Pharmacy", nil), plan.ModeVPN},
		{"pat-hostile-descriptions", samplePlan(hostile, nil), plan.ModePAT},
		{"vpn-hostile-descriptions", samplePlan(hostile, nil), plan.ModeVPN},
	}
}
