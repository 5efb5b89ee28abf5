package nftables

import (
	"cmp"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/p2pplan/p2pplan/internal/plan"
	"github.com/p2pplan/p2pplan/internal/site"
)

// Chain names p2pplan uses.
const (
	chainPrerouting = "prerouting"
	chainForward    = "forward"
)

// Build returns the validated ruleset of sp for mode (pat, ipv6 or vpn), or
// nil for a mode that has no nftables rules.
func Build(sp *plan.SitePlan, mode string) (*Ruleset, error) {
	var (
		rs  *Ruleset
		err error
	)
	switch mode {
	case plan.ModePAT:
		rs, err = BuildPAT(sp)
	case plan.ModeIPv6:
		rs, err = BuildIPv6(sp)
	case plan.ModeVPN:
		rs, err = BuildVPN(sp)
	default:
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := Validate(rs); err != nil {
		// A builder bug, never an input problem: the base step caught it.
		return nil, fmt.Errorf("nftables %s ruleset for site %s: %w", mode, siteName(sp), err)
	}
	return rs, nil
}

// BuildPAT is static port address translation (SPEC §8, pat): per exposure a
// prerouting DNAT from the site's public IPv4 and external port to the
// device's address and service port, and a forward accept for exactly that
// translated flow from the allowed IPv4 sources; established/related flows
// pass. The forward chain's policy is accept, because the router also
// forwards the LAN's own traffic to the internet (a `policy drop` there
// would cut the LAN off): the drops are explicit and scoped to what p2pplan
// owns — everything else toward an exposed device is dropped (one
// `ip daddr DEVICE drop` per device address, sorted). The customer's other
// port forwards, to other hosts, are not p2pplan's and are left alone.
func BuildPAT(sp *plan.SitePlan) (*Ruleset, error) {
	return buildExposure(sp, plan.ModePAT, IP)
}

// BuildIPv6 is fixed IPv6 exposure (SPEC §8, ipv6): the same shape in ip6,
// the device's own IPv6 being the public address: the external port is
// translated to the service port in prerouting, and only that translated
// flow from the allowed IPv6 sources is forwarded; the rest toward the
// device (`ip6 daddr DEVICE drop`) and any other DNAT'd flow is dropped by
// explicit rules, the chain's policy staying accept as in BuildPAT.
func BuildIPv6(sp *plan.SitePlan) (*Ruleset, error) {
	return buildExposure(sp, plan.ModeIPv6, IP6)
}

func buildExposure(sp *plan.SitePlan, mode string, fam Family) (*Ruleset, error) {
	if sp == nil || sp.Site == nil {
		return nil, fmt.Errorf("nftables: no site")
	}
	var exps []plan.Exposure
	for _, e := range sp.Exposures {
		if e.Mode == mode {
			exps = append(exps, e)
		}
	}
	if len(exps) == 0 {
		return nil, fmt.Errorf("site %s: no %s exposure was allocated", siteName(sp), mode)
	}
	// Sorted copy: the order of the plan's slice must not change the bytes.
	slices.SortFunc(exps, func(a, b plan.Exposure) int {
		return cmp.Or(cmp.Compare(a.Device, b.Device), cmp.Compare(a.Service, b.Service),
			cmp.Compare(a.Protocol, b.Protocol), cmp.Compare(a.ExternalPort, b.ExternalPort))
	})

	pre := Chain{Name: chainPrerouting, Type: ChainNAT, Hook: HookPrerouting, Priority: PriorityDstNAT, Policy: PolicyAccept}
	fwd := Chain{Name: chainForward, Type: ChainFilter, Hook: HookForward, Priority: PriorityFilter, Policy: PolicyAccept,
		Rules: []Rule{establishedRule()}}
	var sets []Set
	setByKey := map[string]string{}
	devices := map[netip.Prefix][]string{} // exposed device address → device names

	for _, e := range exps {
		where := fmt.Sprintf("site %s, exposure %s/%s", siteName(sp), e.Device, e.Service)
		proto, err := protocol(e.Protocol)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		ext, err := port(e.ExternalPort)
		if err != nil {
			return nil, fmt.Errorf("%s: external port: %w", where, err)
		}
		dport, err := port(e.DevicePort)
		if err != nil {
			return nil, fmt.Errorf("%s: device port: %w", where, err)
		}
		// SPEC §5/§8: the external port must differ from the device's default
		// port. The allocator guarantees it; refusing here too means no bug
		// upstream can ever put the default port on the internet.
		if ext == dport || ext == defaultPort(sp.Site, e) {
			return nil, fmt.Errorf("%s: external port %d is the service's default port", where, ext)
		}
		pub, err := host(e.PublicAddress, fam)
		if err != nil {
			return nil, fmt.Errorf("%s: public address: %w", where, err)
		}
		dev, err := host(e.DeviceAddress, fam)
		if err != nil {
			return nil, fmt.Errorf("%s: device address: %w", where, err)
		}
		srcList := e.Sources
		if len(srcList) == 0 {
			srcList = sp.Site.Clients.Sources
		}
		src, err := sourceMatch(srcList, fam, &sets, setByKey)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		comment := strings.Join([]string{mode, e.Device + "/" + e.Service, string(proto),
			strconv.Itoa(int(ext)), "to", strconv.Itoa(int(dport))}, " ")

		pre.Rules = append(pre.Rules, Rule{
			Matches:   []Match{Addr{Dir: Dst, Prefix: pub}, Port{Proto: proto, Port: ext}},
			Statement: DNAT{Addr: dev.Addr(), Port: dport},
			Comment:   comment,
		})
		var m []Match
		if src != nil {
			m = append(m, src)
		}
		m = append(m, Addr{Dir: Dst, Prefix: dev}, Port{Proto: proto, Port: dport}, CtStatusDNAT{})
		fwd.Rules = append(fwd.Rules, Rule{Matches: m, Statement: Accept{}, Comment: comment})
		if !slices.Contains(devices[dev], e.Device) {
			devices[dev] = append(devices[dev], e.Device)
		}
	}
	// The scoped drops: nothing else reaches an exposed device through this
	// router (another port, a source outside the list, its address
	// directly), one host per rule in address order. The LAN's own traffic
	// and the customer's other port forwards (to other hosts) are left
	// alone: p2pplan only owns what it exposes.
	addrs := slices.SortedFunc(maps.Keys(devices), func(a, b netip.Prefix) int { return a.Addr().Compare(b.Addr()) })
	for _, a := range addrs {
		names := devices[a]
		slices.Sort(names)
		fwd.Rules = append(fwd.Rules, Rule{
			Matches:   []Match{Addr{Dir: Dst, Prefix: a}},
			Statement: Drop{},
			Comment:   mode + " " + strings.Join(names, ",") + " not exposed otherwise",
		})
	}
	return &Ruleset{
		Title: siteName(sp) + " " + mode,
		Table: Table{Sets: sets, Chains: []Chain{pre, fwd}},
	}, nil
}

// BuildVPN is the site gateway's filter for the vpn mode (SPEC §8): traffic
// arriving from the WireGuard interface is forwarded to the device services
// only, one accept per service and address family; established/related flows
// pass; everything else arriving from the tunnel is dropped by an explicit
// `iifname "wg-p2pplan" drop`. The chain's policy is accept: the gateway
// usually routes the LAN to the internet too, and that traffic is untouched.
func BuildVPN(sp *plan.SitePlan) (*Ruleset, error) {
	if sp == nil || sp.Site == nil {
		return nil, fmt.Errorf("nftables: no site")
	}
	fwd := Chain{Name: chainForward, Type: ChainFilter, Hook: HookForward, Priority: PriorityFilter, Policy: PolicyAccept,
		Rules: []Rule{establishedRule()}}
	devs := slices.Clone(sp.Site.Devices)
	slices.SortFunc(devs, func(a, b site.Device) int { return cmp.Compare(a.Name, b.Name) })
	for _, d := range devs {
		svcs := slices.Clone(d.Services)
		slices.SortFunc(svcs, func(a, b site.Service) int { return cmp.Compare(a.Name, b.Name) })
		for _, s := range svcs {
			where := fmt.Sprintf("site %s, device %s, service %s", siteName(sp), d.Name, s.Name)
			proto, err := protocol(s.Protocol)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			p, err := port(s.Port)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			n := 0
			for _, a := range []struct {
				s   string
				fam Family
			}{{d.IPv4, IP}, {d.IPv6, IP6}} {
				if a.s == "" {
					continue
				}
				h, err := host(a.s, a.fam)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", where, err)
				}
				n++
				fwd.Rules = append(fwd.Rules, Rule{
					Matches:   []Match{IIFName{Name: WireGuardInterface}, Addr{Dir: Dst, Prefix: h}, Port{Proto: proto, Port: p}},
					Statement: Accept{},
					Comment:   strings.Join([]string{plan.ModeVPN, d.Name + "/" + s.Name, string(proto), strconv.Itoa(int(p))}, " "),
				})
			}
			if n == 0 {
				return nil, fmt.Errorf("%s: the device has no address", where)
			}
		}
	}
	if len(fwd.Rules) == 1 {
		return nil, fmt.Errorf("site %s: no device service to reach through the VPN", siteName(sp))
	}
	fwd.Rules = append(fwd.Rules, Rule{
		Matches:   []Match{IIFName{Name: WireGuardInterface}},
		Statement: Drop{},
		Comment:   plan.ModeVPN + " nothing else from the tunnel",
	})
	return &Ruleset{Title: siteName(sp) + " " + plan.ModeVPN, Table: Table{Chains: []Chain{fwd}}}, nil
}

func establishedRule() Rule {
	return Rule{Matches: []Match{CtState{States: []string{"established", "related"}}}, Statement: Accept{}}
}

// sourceMatch turns the allowed sources of one family into a match: none
// when a /0 admits everyone, a prefix match for a single prefix, else a
// named interval set shared by every exposure with the same list.
func sourceMatch(sources []string, fam Family, sets *[]Set, byKey map[string]string) (Match, error) {
	var ps []netip.Prefix
	for _, s := range sources {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("clients.sources: %q is not a CIDR", s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		if p.Addr().Is4In6() || p.Addr().Zone() != "" {
			return nil, fmt.Errorf("clients.sources: %q: write IPv4 sources as IPv4", s)
		}
		if FamilyOf(p.Addr()) != fam {
			continue
		}
		ps = append(ps, p.Masked())
	}
	if len(ps) == 0 {
		// Fail closed: a list with no source of this family is not "anyone".
		return nil, fmt.Errorf("clients.sources has no %s source: nobody could reach the exposure", familyName(fam))
	}
	ps = NormalizePrefixes(ps)
	if len(ps) == 1 && ps[0].Bits() == 0 {
		return nil, nil
	}
	if len(ps) == 1 {
		return Addr{Dir: Src, Prefix: ps[0]}, nil
	}
	key := fmt.Sprint(ps)
	name, ok := byKey[key]
	if !ok {
		base, typ := "clients4", IPv4Addr
		if fam == IP6 {
			base, typ = "clients6", IPv6Addr
		}
		name = base
		for n := 2; slices.ContainsFunc(*sets, func(s Set) bool { return s.Name == name }); n++ {
			name = base + "_" + strconv.Itoa(n)
		}
		byKey[key] = name
		*sets = append(*sets, Set{Name: name, Type: typ, Elements: ps})
	}
	return AddrSet{Family: fam, Dir: Src, Set: name}, nil
}

func familyName(f Family) string {
	if f == IP {
		return "IPv4"
	}
	return "IPv6"
}

func protocol(s string) (Proto, error) {
	switch Proto(s) {
	case TCP, UDP:
		return Proto(s), nil
	}
	return "", fmt.Errorf("protocol %q: one of tcp or udp is required (never any protocol)", s)
}

func port(n int) (uint16, error) {
	if n < 1 || n > 65535 {
		return 0, fmt.Errorf("port %d: one port between 1 and 65535 is required", n)
	}
	return uint16(n), nil
}

// host parses one address of the given family as a host prefix.
func host(s string, fam Family) (netip.Prefix, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("%q is not an address", s)
	}
	a = a.Unmap()
	if FamilyOf(a) != fam {
		return netip.Prefix{}, fmt.Errorf("%q is not an %s address", s, familyName(fam))
	}
	if a.IsUnspecified() || a.IsMulticast() {
		return netip.Prefix{}, fmt.Errorf("%q is not a host address", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// defaultPort is the port the service listens on as declared in the site,
// 0 when the exposure names a service the site does not have.
func defaultPort(s *site.Site, e plan.Exposure) uint16 {
	for _, d := range s.Devices {
		if d.Name != e.Device {
			continue
		}
		for _, svc := range d.Services {
			if svc.Name == e.Service && svc.Port > 0 && svc.Port <= 65535 {
				return uint16(svc.Port)
			}
		}
	}
	return 0
}

func siteName(sp *plan.SitePlan) string {
	if sp.Name != "" {
		return sp.Name
	}
	if sp.Site != nil {
		return sp.Site.Name
	}
	return "?"
}
