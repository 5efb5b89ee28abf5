package nftables

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/p2pplan/p2pplan/internal/plan"
	"github.com/p2pplan/p2pplan/internal/site"
)

// randomPlan builds a valid site plan with random devices, services, sources
// and exposures for the pat and ipv6 modes.
func randomPlan(r *rand.Rand) *plan.SitePlan {
	pool := []string{"0.0.0.0/0", "198.51.100.0/24", "198.51.100.128/25", "203.0.113.7/32", "192.0.2.0/23",
		"::/0", "2001:db8:100::/48", "2001:db8:100:8000::/49", "2001:db8:ff::1/128"}
	s := &site.Site{Name: fmt.Sprintf("site-%d", r.IntN(1000)), Description: hostile}
	s.Clients.Sources = []string{pool[r.IntN(5)], pool[5+r.IntN(4)]}
	for range r.IntN(3) {
		s.Clients.Sources = append(s.Clients.Sources, pool[r.IntN(len(pool))])
	}
	sp := &plan.SitePlan{Site: s, Name: s.Name}
	used := map[string]bool{}
	for d := range 1 + r.IntN(4) {
		dev := site.Device{Name: fmt.Sprintf("dev-%d", d), Description: hostile,
			IPv4: fmt.Sprintf("192.168.%d.%d", r.IntN(255), 1+r.IntN(254)), IPv6: fmt.Sprintf("2001:db8:20::%x", 1+r.IntN(0xfffe))}
		for k := range 1 + r.IntN(3) {
			svc := site.Service{Name: fmt.Sprintf("svc%d", k), Protocol: []string{"tcp", "udp"}[r.IntN(2)], Port: 1 + r.IntN(65535)}
			dev.Services = append(dev.Services, svc)
			for _, m := range []struct{ mode, pub, addr string }{{"pat", "198.51.100.23", dev.IPv4}, {"ipv6", dev.IPv6, dev.IPv6}} {
				ext := 1024 + r.IntN(64000)
				key := m.pub + svc.Protocol + fmt.Sprint(ext)
				if ext == svc.Port || used[key] {
					continue
				}
				used[key] = true
				sp.Exposures = append(sp.Exposures, exposure(m.mode, dev.Name, svc.Name, svc.Protocol, m.pub, ext, m.addr, svc.Port))
			}
		}
		s.Devices = append(s.Devices, dev)
	}
	return sp
}

// Over many random sites: every rule that exposes something names one
// protocol, one port and one destination host; the text parses back to the
// same model; the netlink expressions decode back to the same model; and no
// description text reaches the output.
func TestPropertiesRandomSites(t *testing.T) {
	r := rand.New(rand.NewPCG(42, 2024))
	for i := range 1000 {
		sp := randomPlan(r)
		for _, mode := range []string{plan.ModePAT, plan.ModeIPv6, plan.ModeVPN} {
			rs, err := Build(sp, mode)
			if err != nil {
				t.Fatalf("site %d %s: %v", i, mode, err)
			}
			text := Format(rs)
			if strings.Contains(string(text), "evil") || strings.Contains(string(text), "flush") {
				t.Fatalf("site %d %s: description leaked:\n%s", i, mode, text)
			}
			back, err := Parse("random.nft", text)
			if err != nil || string(Format(back)) != string(text) {
				t.Fatalf("site %d %s: round trip: %v\n%s", i, mode, err, text)
			}
			for _, c := range back.Table.Chains {
				for _, rule := range c.Rules {
					checkExposureRule(t, c, rule)
				}
				if c.Hook == HookForward {
					checkForwardChain(t, c)
				}
			}
			n, err := ToNetlink(rs)
			if err != nil {
				t.Fatal(err)
			}
			k := 0
			for ci, c := range rs.Table.Chains {
				got := DecodeChain(n.Chains[ci], n.Rules[k:k+len(c.Rules)])
				k += len(c.Rules)
				if !reflect.DeepEqual(got, c) {
					t.Fatalf("site %d %s: chain %s does not survive netlink", i, mode, c.Name)
				}
			}
			for si, s := range rs.Table.Sets {
				if got := decodeSet(n.Sets[si].Set, n.Sets[si].Elements); !reflect.DeepEqual(got, s) {
					t.Fatalf("site %d %s: set %s does not survive netlink: %v", i, mode, s.Name, got)
				}
			}
		}
	}
}

// checkExposureRule is SPEC §8's first invariant, checked on the parsed
// model independently of Validate.
func checkExposureRule(t *testing.T, c Chain, r Rule) {
	t.Helper()
	var ports, hosts, others int
	for _, m := range r.Matches {
		switch m := m.(type) {
		case Port:
			if m.Port == 0 {
				t.Fatalf("port 0 in %q", FormatRule(r))
			}
			ports++
		case Addr:
			if m.Dir == Dst && m.Prefix.IsSingleIP() {
				hosts++
			}
		case CtState:
			others++
		}
	}
	_, dnat := r.Statement.(DNAT)
	_, accept := r.Statement.(Accept)
	if dnat || (accept && c.Hook == HookForward && others == 0) {
		if ports != 1 || hosts != 1 {
			t.Fatalf("rule %q forwards more than one port of one host", FormatRule(r))
		}
	}
}

// checkForwardChain is the forward chain's contract, checked on the parsed
// model independently of Validate: policy accept (the LAN's own traffic
// passes), accepts then drops, every drop scoped to one destination host,
// ct status dnat or the tunnel interface, and every host an accept admits
// something toward closed by a drop behind it.
func checkForwardChain(t *testing.T, c Chain) {
	t.Helper()
	if c.Policy != PolicyAccept {
		t.Fatalf("forward chain with policy %s would cut the LAN off", c.Policy)
	}
	dropped := map[string]bool{}
	var accepted []string
	inDrops := false
	for _, r := range c.Rules {
		switch r.Statement.(type) {
		case Accept:
			if inDrops {
				t.Fatalf("accept after the drops: %q", FormatRule(r))
			}
			for _, m := range r.Matches {
				if a, ok := m.(Addr); ok && a.Dir == Dst {
					accepted = append(accepted, a.Prefix.String())
				}
			}
		case Drop:
			inDrops = true
			if len(r.Matches) != 1 {
				t.Fatalf("drop not scoped to one thing: %q", FormatRule(r))
			}
			switch m := r.Matches[0].(type) {
			case Addr:
				if m.Dir != Dst || !m.Prefix.IsSingleIP() {
					t.Fatalf("drop on more than one host: %q", FormatRule(r))
				}
				dropped[m.Prefix.String()] = true
			case IIFName:
				dropped["iif "+m.Name] = true
			default:
				t.Fatalf("unexpected drop %q", FormatRule(r))
			}
		}
	}
	if !inDrops {
		t.Fatalf("forward chain without drops")
	}
	for _, h := range accepted {
		if !dropped[h] && !dropped["iif "+WireGuardInterface] {
			t.Fatalf("nothing drops the rest toward %s", h)
		}
	}
}
