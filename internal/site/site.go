// Package site holds the site model of SPEC §3 and its HCL loader.
//
// A Site is what one `site "name" { ... }` block says once variables, locals
// and functions are evaluated and every value is validated. Its JSON form is
// the `site` part of the policy input, so the JSON names are a contract with
// the Rego policies in policies/.
package site

import (
	"maps"
	"slices"

	"github.com/p2pplan/p2pplan/internal/measurement"
)

// Profiles of SPEC §3.
var Profiles = []string{"home", "small_business", "secured", "monitoring_center", "video_provider", "managed"}

// Modes a site may request (SPEC §3 `request`).
var Modes = []string{"p2p", "vpn", "auto_register", "ipv6", "pat", "extra_router", "dmz", "upnp"}

// Site is one validated site.
type Site struct {
	Name        string `json:"name"`
	File        string `json:"file"`
	Description string `json:"description"`
	Profile     string `json:"profile"`
	Online      bool   `json:"online"`

	WAN          WAN           `json:"wan"`
	Router       Router        `json:"router"`
	Devices      []Device      `json:"devices"`
	Clients      Clients       `json:"clients"`
	Request      string        `json:"request"` // "" when nothing was asked
	VPN          *VPN          `json:"vpn"`
	AutoRegister *AutoRegister `json:"auto_register"`

	// MeasurementFile is the `measurement` attribute resolved against the
	// site file's directory, "" when absent.
	MeasurementFile string `json:"measurement_file"`
	// Measurement is that file, loaded and validated; nil when absent.
	Measurement *measurement.Measurement `json:"-"`

	// sources maps a dotted field path ("router.firewall",
	// "device.nvr.service.main.port") to where it was written.
	sources map[string]Source
}

// WAN is the site's internet access.
type WAN struct {
	IPv4                 string     `json:"ipv4"`
	IPv4Fixed            bool       `json:"ipv4_fixed"`
	OperatorNAT          bool       `json:"operator_nat"`
	SharedIPv4Ports      *PortRange `json:"shared_ipv4_ports"` // nil: the IPv4 is not shared
	OperatorRestrictions bool       `json:"operator_restrictions"`
	IPv6Prefix           string     `json:"ipv6_prefix"`
	IPv6Fixed            bool       `json:"ipv6_fixed"`
}

// PortRange is an inclusive range of ports.
type PortRange struct {
	From int `json:"from"`
	To   int `json:"to"`
}

// Size is the number of ports in the range.
func (r PortRange) Size() int { return r.To - r.From + 1 }

// Contains reports whether port lies in the range.
func (r PortRange) Contains(port int) bool { return port >= r.From && port <= r.To }

// Router is the site's own router.
type Router struct {
	Firewall bool   `json:"firewall"`
	UPnP     bool   `json:"upnp"`
	DMZHost  string `json:"dmz_host"`
	NAT      string `json:"nat"` // classic name, "unknown" when not declared
}

// Device is a camera, NVR or similar.
type Device struct {
	Name        string    `json:"name"`
	Description string    `json:"description"`
	IPv4        string    `json:"ipv4"`
	IPv6        string    `json:"ipv6"`
	Services    []Service `json:"services"`
}

// Service is a port a device listens on.
type Service struct {
	Name     string `json:"name"`
	Protocol string `json:"protocol"` // tcp | udp
	Port     int    `json:"port"`     // the port the device listens on (its default)
	// ExternalPort pins the external port for PAT/IPv6 exposure; 0 lets the
	// port allocator choose.
	ExternalPort int `json:"external_port"`
}

// Clients are the remote viewers.
type Clients struct {
	NAT     string   `json:"nat"` // classic name, "unknown" when not declared
	IPv6    bool     `json:"ipv6"`
	Sources []string `json:"sources"` // CIDRs allowed to reach exposed services
}

// VPN is the WireGuard hub the site dials.
type VPN struct {
	Hub          string   `json:"hub"`            // host:port of the hub
	HubPublicKey string   `json:"hub_public_key"` // base64 WireGuard public key
	Tunnel       string   `json:"tunnel"`         // tunnel network (CIDR)
	Address      string   `json:"address"`        // the site's address in the tunnel (CIDR), "" if not assigned
	Routes       []string `json:"routes"`         // hub-side networks reached through the tunnel
	Keepalive    int      `json:"keepalive"`      // PersistentKeepalive seconds
}

// AutoRegister is the platform the devices dial (the device opens the
// connection, field guide "auto-register").
type AutoRegister struct {
	Platform string `json:"platform"`
	Port     int    `json:"port"`
}

// Source is a position in a site file.
type Source struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column,omitempty"`
}

// SourceOf returns where field (a dotted path) was written. When the field
// itself was not written (a default), it falls back to its closest written
// parent and finally to the site block.
func (s *Site) SourceOf(field string) Source {
	for f := field; f != ""; f = parentField(f) {
		if src, ok := s.sources[f]; ok {
			return src
		}
	}
	return s.sources[""]
}

// Fields lists the recorded field paths, sorted.
func (s *Site) Fields() []string { return slices.Sorted(maps.Keys(s.sources)) }

func (s *Site) setSource(field string, src Source) {
	if s.sources == nil {
		s.sources = map[string]Source{}
	}
	s.sources[field] = src
}

func parentField(f string) string {
	for i := len(f) - 1; i >= 0; i-- {
		if f[i] == '.' {
			return f[:i]
		}
	}
	return ""
}
