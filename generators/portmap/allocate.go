// Package portmap allocates the external ports of the pat and ipv6 modes and
// renders the resulting port map (CSV, JSON, Markdown, OpenWrt UCI, RouterOS).
//
// Allocation rules (SPEC §8, field guide "static PAT" and "fixed IPv6"):
//   - an external port is never the service's own default port, never a port
//     of the well-known list (policy data p2pplan.config.well_known_ports,
//     passed in by the caller so the list lives in one place), and never a
//     system port (below 1024);
//   - external ports are unique per public address and protocol;
//   - when the site's IPv4 is shared between customers, PAT ports lie inside
//     the assigned range (WAN.SharedIPv4Ports), or allocation fails;
//   - the same site gets the same ports across runs: each service starts from
//     a hash of its site, device and service names and probes linearly for the
//     next free port, so only a collision or a change of services moves a port.
package portmap

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"sort"

	"github.com/p2pplan/p2pplan/internal/plan"
	"github.com/p2pplan/p2pplan/internal/site"
)

// DefaultRange is where external ports are chosen when the site's IPv4 is not
// shared (and always for ipv6): well above the ports scanners try first and
// vendors use as defaults, and wide enough that hash collisions stay rare.
var DefaultRange = site.PortRange{From: 20000, To: 59999}

// firstUnprivileged is the lowest port allocation may use: ports below it are
// IANA's system ("well-known") ports, always excluded on top of the policy list.
const firstUnprivileged = 1024

// Allocate returns the exposures of site s for each of modes (plan.ModePAT,
// plan.ModeIPv6), sorted by mode (in the order given), device, then service.
//
// wellKnown is the policy's well-known port list; an empty list is an error
// (fail closed: without it the allocator could pick 8080 or 37777).
//
// Sources are the clients.sources of the mode's address family (IPv4 CIDRs
// for pat, IPv6 for ipv6). A site with no source of that family is an error,
// not an empty list: an exposure nobody may reach is useless, and router
// formats without a source restriction would mean "anyone", so an empty list
// would be dangerous to render.
//
// A pinned Service.ExternalPort is used as is when it is valid (not the
// service's default port, not well-known or below 1024, inside the shared
// range, not pinned twice for the same address and protocol); otherwise
// Allocate fails rather than silently choosing another port.
func Allocate(s *site.Site, wellKnown []int, modes ...string) ([]plan.Exposure, error) {
	if s == nil {
		return nil, errors.New("portmap: no site")
	}
	if len(wellKnown) == 0 {
		return nil, errors.New("portmap: the well-known port list is empty (policy data p2pplan.config.well_known_ports); refusing to allocate without it")
	}
	var out []plan.Exposure
	for _, mode := range modes {
		ex, err := allocateMode(s, wellKnown, mode)
		if err != nil {
			return nil, err
		}
		out = append(out, ex...)
	}
	return out, nil
}

// candidate is one service waiting for an external port.
type candidate struct {
	ex     plan.Exposure
	pinned int
}

type addrProto struct {
	addr  string
	proto string
}

func allocateMode(s *site.Site, wellKnown []int, mode string) ([]plan.Exposure, error) {
	var (
		public  string // pat: the site's IPv4; ipv6: per device
		sources []string
		err     error
		rng     = DefaultRange
	)
	switch mode {
	case plan.ModePAT:
		a, perr := netip.ParseAddr(s.WAN.IPv4)
		if perr != nil || !a.Is4() {
			return nil, fmt.Errorf("portmap: site %s: mode pat needs wan.ipv4 (a public IPv4 address), got %q", s.Name, s.WAN.IPv4)
		}
		public = a.String()
		if r := s.WAN.SharedIPv4Ports; r != nil {
			if r.From < 1 || r.To > 65535 || r.From > r.To {
				return nil, fmt.Errorf("portmap: site %s: wan.shared_ipv4_ports %d-%d is not a port range", s.Name, r.From, r.To)
			}
			rng = *r
		}
		sources, err = familySources(s, false)
	case plan.ModeIPv6:
		sources, err = familySources(s, true)
	default:
		return nil, fmt.Errorf("portmap: mode %q has no port map (only pat and ipv6)", mode)
	}
	if err != nil {
		return nil, err
	}

	// forbidden: ports no automatic choice may take. The site's own default
	// ports are all excluded (not only the service's own), so no external
	// port ever looks like some device's default port.
	forbidden := map[int]bool{}
	for _, p := range wellKnown {
		forbidden[p] = true
	}
	for _, d := range s.Devices {
		for _, sv := range d.Services {
			forbidden[sv.Port] = true
		}
	}

	var cands []candidate
	for _, d := range s.Devices {
		var devAddr, pub string
		if mode == plan.ModePAT {
			a, perr := netip.ParseAddr(d.IPv4)
			if perr != nil || !a.Is4() {
				return nil, fmt.Errorf("portmap: site %s: device %s has no IPv4 address to forward pat traffic to", s.Name, d.Name)
			}
			devAddr, pub = a.String(), public
		} else {
			a, perr := netip.ParseAddr(d.IPv6)
			if perr != nil || !a.Is6() || a.Is4In6() {
				return nil, fmt.Errorf("portmap: site %s: device %s has no IPv6 address to expose in mode ipv6", s.Name, d.Name)
			}
			devAddr, pub = a.String(), a.String()
		}
		for _, sv := range d.Services {
			if sv.Protocol != "tcp" && sv.Protocol != "udp" {
				return nil, fmt.Errorf("portmap: site %s: device %s service %s: protocol %q is not tcp or udp", s.Name, d.Name, sv.Name, sv.Protocol)
			}
			if sv.Port < 1 || sv.Port > 65535 {
				return nil, fmt.Errorf("portmap: site %s: device %s service %s: port %d is not a port", s.Name, d.Name, sv.Name, sv.Port)
			}
			cands = append(cands, candidate{
				ex: plan.Exposure{
					Mode: mode, Device: d.Name, Service: sv.Name, Protocol: sv.Protocol,
					PublicAddress: pub, DeviceAddress: devAddr, DevicePort: sv.Port,
					Sources: append([]string(nil), sources...),
				},
				pinned: sv.ExternalPort,
			})
		}
	}
	// Allocation order is part of stability: sort before probing.
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].ex.Device != cands[j].ex.Device {
			return cands[i].ex.Device < cands[j].ex.Device
		}
		return cands[i].ex.Service < cands[j].ex.Service
	})

	used := map[addrProto]map[int]bool{}
	take := func(k addrProto, p int) {
		if used[k] == nil {
			used[k] = map[int]bool{}
		}
		used[k][p] = true
	}
	// Pinned ports first, so an automatic choice never steals one.
	for i := range cands {
		c := &cands[i]
		if c.pinned == 0 {
			continue
		}
		k := addrProto{c.ex.PublicAddress, c.ex.Protocol}
		where := fmt.Sprintf("site %s: device %s service %s: external_port %d", s.Name, c.ex.Device, c.ex.Service, c.pinned)
		switch {
		case c.pinned < firstUnprivileged || c.pinned > 65535:
			return nil, fmt.Errorf("portmap: %s is not between %d and 65535", where, firstUnprivileged)
		case c.pinned == c.ex.DevicePort:
			return nil, fmt.Errorf("portmap: %s is the service's default port; an exposure must use another port", where)
		case contains(wellKnown, c.pinned):
			return nil, fmt.Errorf("portmap: %s is a well-known port", where)
		case mode == plan.ModePAT && s.WAN.SharedIPv4Ports != nil && !rng.Contains(c.pinned):
			return nil, fmt.Errorf("portmap: %s is outside the assigned shared range %d-%d", where, rng.From, rng.To)
		case used[k][c.pinned]:
			return nil, fmt.Errorf("portmap: %s is pinned twice for %s %s", where, c.ex.Protocol, c.ex.PublicAddress)
		}
		c.ex.ExternalPort = c.pinned
		take(k, c.pinned)
	}
	for i := range cands {
		c := &cands[i]
		if c.pinned != 0 {
			continue
		}
		k := addrProto{c.ex.PublicAddress, c.ex.Protocol}
		p, ok := probe(rng, start(s.Name, c.ex.Device, c.ex.Service, rng), func(p int) bool {
			return p >= firstUnprivileged && !forbidden[p] && !used[k][p]
		})
		if !ok {
			return nil, fmt.Errorf("portmap: site %s: the range %d-%d cannot hold another %s port for %s (device %s service %s): too many services, or the range is made of excluded ports",
				s.Name, rng.From, rng.To, c.ex.Protocol, c.ex.PublicAddress, c.ex.Device, c.ex.Service)
		}
		c.ex.ExternalPort = p
		take(k, p)
	}

	out := make([]plan.Exposure, len(cands))
	for i, c := range cands {
		out[i] = c.ex
	}
	return out, nil
}

// start is the stable first port tried for a service: a hash of the names,
// so it depends on nothing else in the site (adding a device does not move
// the others, barring collisions).
func start(siteName, device, service string, r site.PortRange) int {
	h := sha256.Sum256([]byte(siteName + "\x00" + device + "\x00" + service))
	return r.From + int(binary.BigEndian.Uint64(h[:8])%uint64(r.Size()))
}

// probe walks the range from first, wrapping once, and returns the first port
// free accepts.
func probe(r site.PortRange, first int, free func(int) bool) (int, bool) {
	n := r.Size()
	for i := 0; i < n; i++ {
		p := r.From + (first-r.From+i)%n
		if free(p) {
			return p, true
		}
	}
	return 0, false
}

// familySources returns the site's client sources of one address family,
// canonical (masked), deduplicated and sorted.
func familySources(s *site.Site, v6 bool) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, src := range s.Clients.Sources {
		p, err := netip.ParsePrefix(src)
		if err != nil {
			a, aerr := netip.ParseAddr(src)
			if aerr != nil {
				return nil, fmt.Errorf("portmap: site %s: clients.sources: %q is not a CIDR", s.Name, src)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		if p.Addr().Is6() != v6 || p.Addr().Is4In6() {
			continue
		}
		c := p.Masked().String()
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		fam, mode := "IPv4", plan.ModePAT
		if v6 {
			fam, mode = "IPv6", plan.ModeIPv6
		}
		return nil, fmt.Errorf("portmap: site %s: clients.sources has no %s network, so nobody could reach the %s exposures; list the viewers' %s networks", s.Name, fam, mode, fam)
	}
	sort.Strings(out)
	return out, nil
}

func contains(list []int, p int) bool {
	for _, x := range list {
		if x == p {
			return true
		}
	}
	return false
}
