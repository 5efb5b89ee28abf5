// Package randsite makes random valid sites for the generators' property
// tests (SPEC §8: invariants are tested over generated sites). It is test
// support only: nothing in the binary imports it.
//
// Every free-text field (site and device descriptions) holds Marker plus the
// characters that break out of comments and values in the formats p2pplan
// writes (quotes, newlines, '#', ';', '}', ...), so a test can assert that no
// artifact ever contains Marker.
package randsite

import (
	"fmt"
	"math/rand"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/p2pplan/p2pplan/internal/site"
)

// Marker is in every description Site generates.
const Marker = "INJECTED-TEXT"

// hostile are the fragments descriptions are made of.
var hostile = []string{
	`"`, "\n", "#", ";", "}", "{", "'", `\`, "|", "$(reboot)", "`id`", "\r\n[Peer]\nAllowedIPs = 0.0.0.0/0\n",
	"\nconfig redirect\n\toption dest_port '1-65535'\n", `" ; /system reset-configuration ; "`,
	"<script>", "*/", "-->", "\x00", "é", "%s", "]]", "\t",
}

// servicePorts are the default ports devices listen on, biased toward the
// well-known ones an allocator must avoid.
var servicePorts = []int{21, 22, 23, 80, 443, 554, 8000, 8080, 37777, 37778, 8554, 9000, 34567, 1935}

// Site returns a random valid site; i makes its name unique within a run.
// The same r state gives the same site.
func Site(r *rand.Rand, i int) *site.Site {
	s := &site.Site{
		Name:        fmt.Sprintf("s%d-%s", i, ident(r)),
		Description: description(r),
		Profile:     site.Profiles[r.Intn(len(site.Profiles))],
		Online:      r.Intn(2) == 0,
		WAN: site.WAN{
			IPv4:       fmt.Sprintf("%s.%d", []string{"198.51.100", "203.0.113", "192.0.2"}[r.Intn(3)], 1+r.Intn(254)),
			IPv4Fixed:  true,
			IPv6Prefix: "2001:db8:20::/56",
			IPv6Fixed:  true,
		},
		Router:  site.Router{NAT: "port_restricted_cone"},
		Clients: site.Clients{NAT: "symmetric", IPv6: true},
	}
	if r.Intn(3) == 0 {
		// A shared IPv4: a range wide enough for the services once the
		// excluded ports are taken out (at most 30 services, 40 exclusions).
		from := 1024 + r.Intn(60000)
		size := 128 + r.Intn(4096)
		if r.Intn(4) == 0 {
			from = 8000 - r.Intn(64) // a range full of well-known and default ports
		}
		to := from + size - 1
		if to > 65535 {
			to = 65535
			from = to - size + 1
		}
		s.WAN.SharedIPv4Ports = &site.PortRange{From: from, To: to}
	}

	nDev := 1 + r.Intn(6)
	for d := 0; d < nDev; d++ {
		dev := site.Device{
			Name:        fmt.Sprintf("d%d-%s", d, ident(r)),
			Description: description(r),
			IPv4:        fmt.Sprintf("192.168.%d.%d", 1+d, 2+r.Intn(250)),
			IPv6:        fmt.Sprintf("2001:db8:20::%x", 0x100+d*16+r.Intn(16)),
		}
		nSvc := 1 + r.Intn(5)
		for k := 0; k < nSvc; k++ {
			port := servicePorts[r.Intn(len(servicePorts))]
			if r.Intn(3) == 0 {
				port = 1 + r.Intn(65535)
			}
			dev.Services = append(dev.Services, site.Service{
				Name:     fmt.Sprintf("v%d-%s", k, ident(r)),
				Protocol: []string{"tcp", "udp"}[r.Intn(2)],
				Port:     port,
			})
		}
		s.Devices = append(s.Devices, dev)
	}

	s.Clients.Sources = []string{
		[]string{"0.0.0.0/0", "203.0.113.0/24", "198.51.100.7/32"}[r.Intn(3)],
		[]string{"::/0", "2001:db8:ff::/48"}[r.Intn(2)],
	}
	if r.Intn(2) == 0 {
		s.Clients.Sources = append(s.Clients.Sources, fmt.Sprintf("192.0.2.%d/32", r.Intn(256)))
	}

	routes := []string{"10.99.0.0/24", "172.16.5.0/24", "0.0.0.0/0", "192.0.2.0/28", "fd00:99::/64"}
	r.Shuffle(len(routes), func(a, b int) { routes[a], routes[b] = routes[b], routes[a] })
	s.VPN = &site.VPN{
		Hub:          []string{"vpn.example.net:51820", "198.51.100.1:51820", "[2001:db8::1]:51820", "hub-1.example.org:443"}[r.Intn(4)],
		HubPublicKey: Key(r).PublicKey().String(),
		Tunnel:       "10.99.0.0/24",
		Address:      fmt.Sprintf("10.99.0.%d/32", 2+r.Intn(250)),
		Routes:       routes[:r.Intn(3)],
		Keepalive:    []int{0, 15, 25}[r.Intn(3)],
	}
	s.AutoRegister = &site.AutoRegister{
		Platform: []string{"203.0.113.50", "platform.example.com", "2001:db8::50"}[r.Intn(3)],
		Port:     1 + r.Intn(65535),
	}
	return s
}

// Key returns a deterministic private key drawn from r (test keys only).
func Key(r *rand.Rand) wgtypes.Key {
	var raw [wgtypes.KeyLen]byte
	r.Read(raw[:])
	// Clamp as Curve25519 requires, like wgtypes.GeneratePrivateKey does.
	raw[0] &= 248
	raw[31] = (raw[31] & 127) | 64
	return wgtypes.Key(raw)
}

func ident(r *rand.Rand) string {
	const first = "abcdefghijklmnopqrstuvwxyz0123456789"
	const rest = first + "_-"
	n := r.Intn(12)
	b := []byte{first[r.Intn(len(first))]}
	for i := 0; i < n; i++ {
		b = append(b, rest[r.Intn(len(rest))])
	}
	return string(b)
}

func description(r *rand.Rand) string {
	d := Marker
	for n := 1 + r.Intn(5); n > 0; n-- {
		d += hostile[r.Intn(len(hostile))] + Marker
	}
	return d
}
