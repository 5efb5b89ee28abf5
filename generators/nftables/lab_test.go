package nftables

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	gnft "github.com/google/nftables"
	"github.com/vishvananda/netns"

	"github.com/p2pplan/p2pplan/internal/lab"
	"github.com/p2pplan/p2pplan/internal/plan"
	"github.com/p2pplan/p2pplan/internal/site"
)

// Short timeouts: everything is on veth pairs in one kernel, so a second is
// plenty for a handshake; a dropped SYN costs exactly this long.
const (
	dialTimeout = time.Second
	readTimeout = time.Second
)

// connIn opens a google/nftables connection bound to ns's namespace by file
// descriptor, the way `p2pplan apply --netns` does.
func connIn(t *testing.T, ns *lab.NS) *gnft.Conn {
	t.Helper()
	h, err := netns.GetFromName(ns.Name())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	c, err := gnft.New(gnft.WithNetNSFd(int(h)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Every rendered ruleset passes `nft -c -f`, including one whose title and
// comments were built from hostile text.
func TestNftCheck(t *testing.T) {
	lab.Require(t, "nft")
	ns := lab.New(t).Namespace("chk")
	texts := map[string][]byte{}
	for _, c := range goldenCases() {
		texts[c.name] = Format(mustBuild(t, c.sp, c.mode))
	}
	rs := mustBuild(t, samplePlan(hostile, nil), plan.ModePAT)
	rs.Title = hostile
	for i := range rs.Table.Chains {
		for j := range rs.Table.Chains[i].Rules {
			rs.Table.Chains[i].Rules[j].Comment = hostile
		}
	}
	texts["hostile-comments"] = Format(rs)
	for name, text := range texts {
		if out, err := ns.RunStdin(string(text), "nft", "-c", "-f", "-"); err != nil {
			t.Errorf("%s: nft -c -f refused it: %v\n%s\n%s", name, err, out, text)
		}
	}
	// -c never loaded anything.
	if out := ns.MustRun("nft", "list", "ruleset"); strings.TrimSpace(out) != "" {
		t.Errorf("nft -c left a ruleset behind:\n%s", out)
	}
}

// Applying through netlink makes the kernel hold, rule for rule, what the
// printer renders: `nft list` prints the same table text, `nft -j` lists the
// same rules in each chain, and ReadKernel decodes the same model. A second
// apply of another ruleset reports the difference and replaces only our
// table.
func TestKernelApply(t *testing.T) {
	lab.Require(t, "nft")
	ns := lab.New(t).Namespace("apply")
	// A table that is not ours must survive every apply.
	ns.MustRun("nft", "add table inet other")
	ns.MustRun("nft", "add chain inet other keep { type filter hook input priority 10; policy accept; }")
	c := connIn(t, ns)
	for i, tc := range goldenCases() {
		rs := mustBuild(t, tc.sp, tc.mode)
		ch, err := Apply(c, rs, false)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if i == 0 && (ch.RulesRemoved != 0 || ch.RulesAdded != 9 || ch.SetsAdded != 1 || ch.ChainsAdded != 2) {
			t.Errorf("%s: first apply reported %s", tc.name, ch.Summary())
		}
		listed := unwrapElements(ns.MustRun("nft", "list", "table", "inet", "p2pplan"))
		if listed != string(FormatTable(&rs.Table)) {
			t.Errorf("%s: nft lists\n%s\nthe printer renders\n%s", tc.name, listed, FormatTable(&rs.Table))
		}
		checkJSON(t, tc.name, ns.MustRun("nft", "-j", "list", "table", "inet", "p2pplan"), rs)
		if again, err := Apply(c, rs, true); err != nil || !again.Empty() {
			t.Errorf("%s: re-applying the same ruleset: %v %s", tc.name, err, again.Summary())
		}
	}
	if out := ns.MustRun("nft", "list", "table", "inet", "other"); !strings.Contains(out, "chain keep") {
		t.Errorf("apply touched another table:\n%s", out)
	}

	// A change: the dry run reports it and leaves the kernel alone.
	pat := mustBuild(t, samplePlan("x", nil), plan.ModePAT)
	if _, err := Apply(c, pat, false); err != nil {
		t.Fatal(err)
	}
	sp := samplePlan("x", nil)
	sp.Exposures = sp.Exposures[1:] // drop nvr/rtsp
	smaller := mustBuild(t, sp, plan.ModePAT)
	ch, err := Apply(c, smaller, true)
	if err != nil {
		t.Fatal(err)
	}
	if ch.RulesRemoved != 2 || ch.RulesAdded != 0 {
		t.Errorf("dry run reported %s, want 2 rules removed", ch.Summary())
	}
	if listed := unwrapElements(ns.MustRun("nft", "list", "table", "inet", "p2pplan")); listed != string(FormatTable(&pat.Table)) {
		t.Errorf("the dry run changed the kernel:\n%s", listed)
	}

	// Upgrading a router that holds the old generator's table (forward
	// policy drop, no explicit drops): apply reports the chain change and
	// the two scoped drops, and leaves the kernel with policy accept.
	loadPolicyDrop(t, ns, pat)
	if ch, err := Apply(c, pat, false); err != nil || ch.ChainsChanged != 1 || ch.RulesAdded != 2 || ch.RulesRemoved != 0 {
		t.Errorf("upgrade from policy drop: %v %s", err, ch.Summary())
	}
	if listed := ns.MustRun("nft", "list", "chain", "inet", "p2pplan", "forward"); !strings.Contains(listed, "policy accept;") {
		t.Errorf("after the upgrade the kernel lists\n%s", listed)
	}

	// Loading the same text with nft -f is understood by ReadKernel too (nft
	// encodes some matches differently from us).
	for _, tc := range goldenCases() {
		rs := mustBuild(t, tc.sp, tc.mode)
		if out, err := ns.RunStdin(string(Format(rs)), "nft", "-f", "-"); err != nil {
			t.Fatalf("%s: nft -f: %v %s", tc.name, err, out)
		}
		got, err := ReadKernel(c)
		if err != nil || got == nil {
			t.Fatalf("%s: ReadKernel: %v", tc.name, err)
		}
		if string(FormatTable(got)) != string(FormatTable(&rs.Table)) {
			t.Errorf("%s: after nft -f, ReadKernel gives\n%s", tc.name, FormatTable(got))
		}
	}
}

// unwrapElements undoes nft's line wrapping of long element lists (the only
// layout difference between `nft list` and the printer, which keeps one
// line so the parser stays line-based).
func unwrapElements(s string) string {
	return regexp.MustCompile(`,\n[\t ]+`).ReplaceAllString(s, ", ")
}

// checkJSON compares `nft -j list table` with the model: the same chains
// with the same rules in the same order (identified by their comments and
// verdicts), and the same set elements.
func checkJSON(t *testing.T, name, out string, rs *Ruleset) {
	t.Helper()
	var doc struct {
		Nftables []map[string]json.RawMessage `json:"nftables"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%s: nft -j: %v", name, err)
	}
	type jrule struct {
		Chain   string           `json:"chain"`
		Comment string           `json:"comment"`
		Expr    []map[string]any `json:"expr"`
	}
	rules := map[string][]jrule{}
	var chains []string
	for _, obj := range doc.Nftables {
		if raw, ok := obj["rule"]; ok {
			var r jrule
			if err := json.Unmarshal(raw, &r); err != nil {
				t.Fatal(err)
			}
			rules[r.Chain] = append(rules[r.Chain], r)
		}
		if raw, ok := obj["chain"]; ok {
			var c struct{ Name string }
			_ = json.Unmarshal(raw, &c)
			chains = append(chains, c.Name)
		}
	}
	if len(chains) != len(rs.Table.Chains) {
		t.Errorf("%s: nft -j lists chains %v", name, chains)
	}
	for _, c := range rs.Table.Chains {
		got := rules[c.Name]
		if len(got) != len(c.Rules) {
			t.Errorf("%s: chain %s has %d rules in the kernel, %d in the file", name, c.Name, len(got), len(c.Rules))
			continue
		}
		for i, r := range c.Rules {
			if got[i].Comment != SanitizeComment(r.Comment) {
				t.Errorf("%s: chain %s rule %d: comment %q, want %q", name, c.Name, i+1, got[i].Comment, r.Comment)
			}
			// One JSON expression per match, plus the statement.
			if len(got[i].Expr) != len(r.Matches)+1 {
				t.Errorf("%s: chain %s rule %d: %d expressions in the kernel for %q", name, c.Name, i+1, len(got[i].Expr), FormatRule(r))
			}
			last := got[i].Expr[len(got[i].Expr)-1]
			var kind string
			for k := range last {
				kind = k
			}
			want := map[string]string{"nftables.Accept": "accept", "nftables.Drop": "drop", "nftables.DNAT": "dnat"}[typeName(r.Statement)]
			if kind != want {
				t.Errorf("%s: chain %s rule %d ends with %q, want %q", name, c.Name, i+1, kind, want)
			}
		}
	}
}

func typeName(v any) string {
	switch v.(type) {
	case Accept:
		return "nftables.Accept"
	case Drop:
		return "nftables.Drop"
	case DNAT:
		return "nftables.DNAT"
	}
	return ""
}

// TestLabPAT puts the PAT ruleset on a router between the internet and a
// LAN and checks what it lets through. The router is also the LAN's way to
// the internet (its own table masquerades the LAN and holds one port forward
// of its own): applying p2pplan's ruleset must not cut that off.
//
//	client   198.51.100.10/24 ─┐
//	                           ├─ router 198.51.100.23 (wan), 203.0.113.1 (wan2), 192.168.50.1 (lan), 192.168.51.1 (lan2)
//	outsider 203.0.113.10/24 ──┘                       │                                               │
//	                                         device 192.168.50.10 (listens on 37777, 554 and 8000)   host 192.168.51.10 (9000)
func TestLabPAT(t *testing.T) {
	lab.Require(t, "nft")
	l := lab.New(t)
	router, client, outsider, device := l.Namespace("rtr"), l.Namespace("cli"), l.Namespace("out"), l.Namespace("dev")
	lanHost := l.Namespace("lan")
	l.Link(router, "wan", []string{"198.51.100.23/24"}, client, "eth0", []string{"198.51.100.10/24"})
	l.Link(router, "wan2", []string{"203.0.113.1/24"}, outsider, "eth0", []string{"203.0.113.10/24"})
	l.Link(router, "lan", []string{"192.168.50.1/24"}, device, "eth0", []string{"192.168.50.10/24"})
	l.Link(router, "lan2", []string{"192.168.51.1/24"}, lanHost, "eth0", []string{"192.168.51.10/24"})
	router.MustRun("sysctl", "-qw", "net.ipv4.ip_forward=1")
	// Routes stay inside the lab: each host reaches the others via the router.
	client.MustRun("ip", "route", "add", "192.168.50.0/24", "via", "198.51.100.23")
	outsider.MustRun("ip", "route", "add", "198.51.100.0/24", "via", "203.0.113.1")
	outsider.MustRun("ip", "route", "add", "192.168.50.0/24", "via", "203.0.113.1")
	for _, h := range []struct {
		ns            *lab.NS
		via, otherLAN string
	}{{device, "192.168.50.1", "192.168.51.0/24"}, {lanHost, "192.168.51.1", "192.168.50.0/24"}} {
		for _, dst := range []string{"198.51.100.0/24", "203.0.113.0/24", h.otherLAN} {
			h.ns.MustRun("ip", "route", "add", dst, "via", h.via)
		}
	}
	// The router's own table, which p2pplan must leave alone: the LAN goes
	// out masqueraded, and one port forward the customer set up himself.
	router.MustRun("nft", "add table ip customer")
	router.MustRun("nft", "add chain ip customer pre { type nat hook prerouting priority dstnat; policy accept; }")
	router.MustRun("nft", "add rule ip customer pre ip daddr 198.51.100.23 tcp dport 40009 dnat to 192.168.51.10:9000")
	router.MustRun("nft", "add chain ip customer post { type nat hook postrouting priority srcnat; policy accept; }")
	router.MustRun("nft", `add rule ip customer post oifname { "wan", "wan2" } masquerade`)

	sp := &plan.SitePlan{Site: sampleSite("lab"), Name: "lab"}
	sp.Site.Clients.Sources = []string{"198.51.100.0/25", "192.0.2.0/24"}
	sp.Exposures = []plan.Exposure{
		exposure("pat", "nvr", "main", "tcp", "198.51.100.23", 40001, "192.168.50.10", 37777),
	}
	for _, port := range []string{"37777", "554", "8000"} {
		listen(t, device, "192.168.50.10:"+port, "service-"+port)
	}
	listen(t, lanHost, "192.168.51.10:9000", "lan-9000")
	// "Internet" hosts the LAN opens connections to.
	listen(t, client, "198.51.100.10:9000", "internet-9000")
	listen(t, outsider, "203.0.113.10:9000", "internet2-9000")

	// Without the ruleset the router forwards everything: the refusals below
	// are the ruleset's doing, not a routing mistake of the lab.
	requireRoutes(t, "tcp4", []dialCase{
		{"", client, "192.168.50.10:8000", "service-8000"},
		{"", outsider, "192.168.50.10:8000", "service-8000"},
		{"", lanHost, "192.168.50.10:8000", "service-8000"},
		{"", lanHost, "198.51.100.10:9000", "internet-9000"},
		{"", device, "203.0.113.10:9000", "internet2-9000"},
		{"", client, "198.51.100.23:40009", "lan-9000"},
	})

	rs := mustBuild(t, sp, plan.ModePAT)
	// The defect this ruleset's shape fixes: with `policy drop` on the
	// forward hook (the old generator's output), the LAN could no longer
	// open a connection to the internet through the router.
	loadPolicyDrop(t, router, rs)
	if got := dial(lanHost, "198.51.100.10:9000"); got != "" {
		t.Fatalf("lab cannot tell: with policy drop the LAN still reached the internet (%q)", got)
	}

	if _, err := Apply(connIn(t, router), rs, false); err != nil {
		t.Fatal(err)
	}
	expectDials(t, "tcp4", []dialCase{ // want "" means no connection
		{"external port reaches the service", client, "198.51.100.23:40001", "service-37777"},
		{"default port stays closed from outside", client, "198.51.100.23:37777", ""},
		{"another external port stays closed", client, "198.51.100.23:40002", ""},
		{"the device is not reachable directly", client, "192.168.50.10:37777", ""},
		{"another device port is not reachable", client, "192.168.50.10:8000", ""},
		{"a source outside the allowed list is refused", outsider, "198.51.100.23:40001", ""},
		{"the outsider cannot reach the device directly", outsider, "192.168.50.10:8000", ""},
		{"nothing else reaches the exposed device through the router", lanHost, "192.168.50.10:8000", ""},
		{"the customer's own port forward to another host still works", client, "198.51.100.23:40009", "lan-9000"},
		{"the LAN still reaches the internet", lanHost, "198.51.100.10:9000", "internet-9000"},
		{"the LAN still reaches the other uplink", lanHost, "203.0.113.10:9000", "internet2-9000"},
		{"the exposed device still reaches the internet", device, "198.51.100.10:9000", "internet-9000"},
	})
	if out := router.MustRun("nft", "list", "table", "ip", "customer"); !strings.Contains(out, "masquerade") {
		t.Errorf("apply touched the router's own table:\n%s", out)
	}
}

// loadPolicyDrop loads, with nft -f, the shape the generator used to emit:
// the same ruleset with `policy drop` on the forward chain and no explicit
// drops. Validate refuses it, so it goes around Apply.
func loadPolicyDrop(t *testing.T, ns *lab.NS, rs *Ruleset) {
	t.Helper()
	old := &Ruleset{Title: rs.Title, Table: Table{Sets: rs.Table.Sets}}
	for _, c := range rs.Table.Chains {
		if c.Hook == HookForward {
			c.Policy = PolicyDrop
			c.Rules = slices.DeleteFunc(slices.Clone(c.Rules), func(r Rule) bool { _, drop := r.Statement.(Drop); return drop })
		}
		old.Table.Chains = append(old.Table.Chains, c)
	}
	if Validate(old) == nil {
		t.Fatal("Validate accepts a forward chain with policy drop")
	}
	if out, err := ns.RunStdin(string(Format(old)), "nft", "-f", "-"); err != nil {
		t.Fatalf("loading the policy drop ruleset: %v\n%s", err, out)
	}
}

// TestLabIPv6 checks the ipv6 mode on a router: the device's fixed IPv6 is
// reachable on the external port only (translated to the service port), its
// service port directly is not, and neither is a source outside the list.
func TestLabIPv6(t *testing.T) {
	lab.Require(t, "nft")
	l := lab.New(t)
	router, client, outsider, device := l.Namespace("rtr6"), l.Namespace("cli6"), l.Namespace("out6"), l.Namespace("dev6")
	l.Link(router, "wan", []string{"2001:db8:1::1/64"}, client, "eth0", []string{"2001:db8:1::10/64"})
	l.Link(router, "wan2", []string{"2001:db8:2::1/64"}, outsider, "eth0", []string{"2001:db8:2::10/64"})
	l.Link(router, "lan", []string{"2001:db8:20::1/64"}, device, "eth0", []string{"2001:db8:20::108/64"})
	router.MustRun("sysctl", "-qw", "net.ipv6.conf.all.forwarding=1")
	client.MustRun("ip", "-6", "route", "add", "2001:db8:20::/64", "via", "2001:db8:1::1")
	outsider.MustRun("ip", "-6", "route", "add", "2001:db8:20::/64", "via", "2001:db8:2::1")
	device.MustRun("ip", "-6", "route", "add", "2001:db8:1::/64", "via", "2001:db8:20::1")
	device.MustRun("ip", "-6", "route", "add", "2001:db8:2::/64", "via", "2001:db8:20::1")
	for _, port := range []string{"37777", "40101"} {
		listen6(t, device, "[2001:db8:20::108]:"+port, "service-"+port)
	}
	listen6(t, client, "[2001:db8:1::10]:9000", "internet-9000")
	listen6(t, outsider, "[2001:db8:2::10]:9000", "internet2-9000")

	// Before the ruleset both sides reach the device directly (which also
	// warms the neighbour caches: the first IPv6 resolution can take a
	// second, longer than the dial timeout).
	requireRoutes(t, "tcp6", []dialCase{
		{"", client, "[2001:db8:20::108]:37777", "service-37777"},
		{"", outsider, "[2001:db8:20::108]:37777", "service-37777"},
		{"", device, "[2001:db8:1::10]:9000", "internet-9000"},
	})

	sp := &plan.SitePlan{Site: sampleSite("lab"), Name: "lab"}
	sp.Site.Clients.Sources = []string{"2001:db8:1::/64", "2001:db8:100::/48", "198.51.100.0/24"}
	sp.Exposures = []plan.Exposure{
		exposure("ipv6", "nvr", "main", "tcp", "2001:db8:20::108", 40101, "2001:db8:20::108", 37777),
	}
	rs := mustBuild(t, sp, plan.ModeIPv6)
	loadPolicyDrop(t, router, rs)
	if got := dialNet(device, "tcp6", "[2001:db8:1::10]:9000"); got != "" {
		t.Fatalf("lab cannot tell: with policy drop the LAN still reached the internet (%q)", got)
	}
	if _, err := Apply(connIn(t, router), rs, false); err != nil {
		t.Fatal(err)
	}
	expectDials(t, "tcp6", []dialCase{
		{"external port reaches the service port", client, "[2001:db8:20::108]:40101", "service-37777"},
		{"the service port is closed from outside", client, "[2001:db8:20::108]:37777", ""},
		{"a source outside the allowed list is refused", outsider, "[2001:db8:20::108]:40101", ""},
		{"the device still opens connections to the internet", device, "[2001:db8:1::10]:9000", "internet-9000"},
		{"and to the other uplink", device, "[2001:db8:2::10]:9000", "internet2-9000"},
	})
}

// TestLabVPN checks the vpn mode on the site's gateway, which also routes
// its LAN to the internet. The tunnel is stood in for by a veth named
// wg-p2pplan (the ruleset matches the interface name only), its far end
// playing the hub's side.
//
//	hub side 10.99.0.2 ── wg-p2pplan 10.99.0.1 ┐
//	                                            gateway 192.168.60.1 (lan) ── device 192.168.60.10 (37777, 8000)
//	internet 203.0.113.10 ──────── 203.0.113.1 ┘ (wan, masqueraded)
func TestLabVPN(t *testing.T) {
	lab.Require(t, "nft")
	l := lab.New(t)
	gw, hub, device, inet := l.Namespace("gw"), l.Namespace("hub"), l.Namespace("vdev"), l.Namespace("inet")
	l.Link(gw, WireGuardInterface, []string{"10.99.0.1/24"}, hub, "eth0", []string{"10.99.0.2/24"})
	l.Link(gw, "lan", []string{"192.168.60.1/24"}, device, "eth0", []string{"192.168.60.10/24"})
	l.Link(gw, "wan", []string{"203.0.113.1/24"}, inet, "eth0", []string{"203.0.113.10/24"})
	gw.MustRun("sysctl", "-qw", "net.ipv4.ip_forward=1")
	hub.MustRun("ip", "route", "add", "192.168.60.0/24", "via", "10.99.0.1")
	hub.MustRun("ip", "route", "add", "203.0.113.0/24", "via", "10.99.0.1")
	device.MustRun("ip", "route", "add", "203.0.113.0/24", "via", "192.168.60.1")
	device.MustRun("ip", "route", "add", "10.99.0.0/24", "via", "192.168.60.1")
	gw.MustRun("nft", "add table ip customer")
	gw.MustRun("nft", "add chain ip customer post { type nat hook postrouting priority srcnat; policy accept; }")
	gw.MustRun("nft", `add rule ip customer post oifname "wan" masquerade`)

	for _, port := range []string{"37777", "8000"} {
		listen(t, device, "192.168.60.10:"+port, "service-"+port)
	}
	listen(t, inet, "203.0.113.10:9000", "internet-9000")
	listen(t, hub, "10.99.0.2:9000", "hub-9000")
	requireRoutes(t, "tcp4", []dialCase{
		{"", hub, "192.168.60.10:8000", "service-8000"},
		{"", hub, "203.0.113.10:9000", "internet-9000"},
		{"", device, "203.0.113.10:9000", "internet-9000"},
	})

	s := sampleSite("lab")
	s.Devices = []site.Device{{Name: "nvr", IPv4: "192.168.60.10", Services: []site.Service{{Name: "main", Protocol: "tcp", Port: 37777}}}}
	rs := mustBuild(t, &plan.SitePlan{Site: s, Name: "lab"}, plan.ModeVPN)
	loadPolicyDrop(t, gw, rs)
	if got := dial(device, "203.0.113.10:9000"); got != "" {
		t.Fatalf("lab cannot tell: with policy drop the LAN still reached the internet (%q)", got)
	}
	if _, err := Apply(connIn(t, gw), rs, false); err != nil {
		t.Fatal(err)
	}
	expectDials(t, "tcp4", []dialCase{
		{"the tunnel reaches the device service", hub, "192.168.60.10:37777", "service-37777"},
		{"another port from the tunnel is refused", hub, "192.168.60.10:8000", ""},
		{"the tunnel cannot go through to the internet", hub, "203.0.113.10:9000", ""},
		{"the LAN still reaches the internet", device, "203.0.113.10:9000", "internet-9000"},
		{"the LAN still reaches the hub side", device, "10.99.0.2:9000", "hub-9000"},
	})
}

func listen6(t *testing.T, ns *lab.NS, addr, banner string) { listenNet(t, ns, "tcp6", addr, banner) }

// listen serves banner on addr inside ns; the socket lives in ns because it
// is created on the thread Do switched into it.
func listen(t *testing.T, ns *lab.NS, addr, banner string) { listenNet(t, ns, "tcp4", addr, banner) }

func listenNet(t *testing.T, ns *lab.NS, network, addr, banner string) {
	t.Helper()
	var ln net.Listener
	if err := ns.Do(func() (err error) { ln, err = net.Listen(network, addr); return err }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = io.WriteString(c, banner)
			c.Close()
		}
	}()
}

// dial connects from ns and returns what the server sent, "" when the
// connection is refused or times out.
func dial(ns *lab.NS, addr string) string { return dialNet(ns, "tcp4", addr) }

// dialCase is one connection attempt and the banner it must read ("" means
// no connection).
type dialCase struct {
	name string
	from *lab.NS
	to   string
	want string
}

// requireRoutes proves the lab routes before a ruleset is loaded, so the
// refusals checked afterwards are the ruleset's doing. It waits, because
// the first connection may wait for neighbour resolution.
func requireRoutes(t *testing.T, network string, cases []dialCase) {
	t.Helper()
	for _, c := range cases {
		if !lab.WaitFor(5*time.Second, func() bool { return dialNet(c.from, network, c.to) == c.want }) {
			t.Fatalf("lab routing is broken: %s cannot reach %s before the ruleset", c.from.Name(), c.to)
		}
	}
}

// expectDials checks each connection once, with the ruleset loaded.
func expectDials(t *testing.T, network string, cases []dialCase) {
	t.Helper()
	for _, c := range cases {
		if got := dialNet(c.from, network, c.to); got != c.want {
			t.Errorf("%s: %s → %s read %q, want %q", c.name, c.from.Name(), c.to, got, c.want)
		}
	}
}

func dialNet(ns *lab.NS, network, addr string) string {
	var got string
	err := ns.Do(func() error {
		c, err := net.DialTimeout(network, addr, dialTimeout)
		if err != nil {
			return err
		}
		defer c.Close()
		_ = c.SetReadDeadline(time.Now().Add(readTimeout))
		b, err := io.ReadAll(c)
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		got = string(b)
		return nil
	})
	if err != nil {
		return ""
	}
	return got
}
