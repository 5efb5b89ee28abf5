package nftables

import (
	"context"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/p2pplan/p2pplan/internal/golden"
	"github.com/p2pplan/p2pplan/internal/plan"
)

func TestGolden(t *testing.T) {
	g := New()
	if g.Name() != "nftables" {
		t.Fatalf("Name() = %q", g.Name())
	}
	for _, c := range goldenCases() {
		t.Run(c.name, func(t *testing.T) {
			arts, err := g.Generate(context.Background(), c.sp, c.mode)
			if err != nil {
				t.Fatal(err)
			}
			if len(arts) != 1 {
				t.Fatalf("got %d artifacts, want 1", len(arts))
			}
			a := arts[0]
			if want := "lyon-pharmacy/" + c.mode + "/nftables.nft"; a.Path != want || a.Mode != 0o644 || a.Sensitive {
				t.Errorf("artifact %s mode %v sensitive %v, want %s 0644 false", a.Path, a.Mode, a.Sensitive, want)
			}
			golden.Testdata(t, c.name+".nft", a.Data)
		})
	}
}

func TestDeterministic(t *testing.T) {
	for _, c := range goldenCases() {
		want := Format(mustBuild(t, c.sp, c.mode))
		for i := range 20 {
			sp := samplePlan(c.sp.Site.Description, c.sp.Site.Clients.Sources)
			r := rand.New(rand.NewPCG(uint64(i), 7))
			r.Shuffle(len(sp.Exposures), func(a, b int) { sp.Exposures[a], sp.Exposures[b] = sp.Exposures[b], sp.Exposures[a] })
			r.Shuffle(len(sp.Site.Devices), func(a, b int) { sp.Site.Devices[a], sp.Site.Devices[b] = sp.Site.Devices[b], sp.Site.Devices[a] })
			r.Shuffle(len(sp.Site.Clients.Sources), func(a, b int) {
				sp.Site.Clients.Sources[a], sp.Site.Clients.Sources[b] = sp.Site.Clients.Sources[b], sp.Site.Clients.Sources[a]
			})
			if got := Format(mustBuild(t, sp, c.mode)); string(got) != string(want) {
				t.Fatalf("%s: output depends on input order:\n%s\nvs\n%s", c.name, got, want)
			}
		}
	}
}

func mustBuild(t *testing.T, sp *plan.SitePlan, mode string) *Ruleset {
	t.Helper()
	rs, err := Build(sp, mode)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// Every generated ruleset survives print → parse → print unchanged, and the
// parsed model is the built one.
func TestPrintParseIdentity(t *testing.T) {
	for _, c := range goldenCases() {
		rs := mustBuild(t, c.sp, c.mode)
		text := Format(rs)
		back, err := Parse(c.name+".nft", text)
		if err != nil {
			t.Fatalf("%s: %v\n%s", c.name, err, text)
		}
		if again := Format(back); string(again) != string(text) {
			t.Errorf("%s: print→parse→print changed the text:\n%s\nvs\n%s", c.name, again, text)
		}
		rs.Title = SanitizeComment(rs.Title)
		if !reflect.DeepEqual(back, rs) {
			t.Errorf("%s: parsed model differs from the built one:\n%#v\n%#v", c.name, back, rs)
		}
	}
}

// Descriptions are free text: they never reach the ruleset, so a site full
// of quotes, newlines, `#`, `;` and `}` yields the very same bytes as a
// plain one. (nft -c acceptance is in TestNftCheck.)
func TestInjectionDescriptions(t *testing.T) {
	for _, mode := range []string{plan.ModePAT, plan.ModeIPv6, plan.ModeVPN} {
		plain := Format(mustBuild(t, samplePlan("Pharmacy", nil), mode))
		evil := Format(mustBuild(t, samplePlan(hostile, nil), mode))
		if string(plain) != string(evil) {
			t.Errorf("%s: descriptions changed the output:\n%s", mode, evil)
		}
		for _, bad := range []string{"evil", "flush", "$(", "`", "\\"} {
			if strings.Contains(string(evil), bad) {
				t.Errorf("%s: output contains %q", mode, bad)
			}
		}
	}
	// Free text that does reach the output (title, comments) is sanitised.
	rs := mustBuild(t, samplePlan("x", nil), plan.ModePAT)
	rs.Title = hostile
	rs.Table.Chains[1].Rules[1].Comment = hostile
	text := Format(rs)
	back, err := Parse("evil.nft", text)
	if err != nil {
		t.Fatalf("sanitised text does not parse: %v\n%s", err, text)
	}
	// What the parser reads back is exactly the model: same sets, chains and
	// rules, the hostile text confined to one title line and one comment.
	rs.Title = SanitizeComment(rs.Title)
	rs.Table.Chains[1].Rules[1].Comment = SanitizeComment(hostile)
	if !reflect.DeepEqual(back, rs) {
		t.Errorf("hostile text changed the ruleset:\n%s", text)
	}
	lines := strings.Split(string(text), "\n")
	if !strings.HasPrefix(lines[0], "# p2pplan: ") {
		t.Errorf("hostile title broke out of its comment:\n%s", text)
	}
	if len(lines) != len(strings.Split(string(Format(mustBuild(t, samplePlan("x", nil), plan.ModePAT))), "\n")) {
		t.Errorf("hostile text added lines:\n%s", text)
	}
}

func TestSanitizeComment(t *testing.T) {
	for in, want := range map[string]string{
		"pat nvr/main tcp 40001 to 37777": "pat nvr/main tcp 40001 to 37777",
		`a"b`:                             "a_b",
		"a\nb\r#c;d}e{f\\g'h`i$j":         "a_b__c_d_e_f_g_h_i_j",
		"  spaced  ":                      "spaced",
		"caf\u00e9":                       "caf_",
		strings.Repeat("a", 300):          strings.Repeat("a", 128),
	} {
		if got := SanitizeComment(in); got != want {
			t.Errorf("SanitizeComment(%q) = %q, want %q", in, got, want)
		}
	}
	// Property: the result never holds anything that ends a string or a line.
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		b := make([]rune, r.IntN(200))
		for i := range b {
			b[i] = rune(r.IntN(0x3000))
		}
		got := SanitizeComment(string(b))
		if strings.ContainsAny(got, "\"\\\n\r#;{}\x00'`$") || len(got) > 128 || SanitizeComment(got) != got {
			t.Fatalf("SanitizeComment(%q) = %q", string(b), got)
		}
	}
}

func TestNormalizePrefixes(t *testing.T) {
	p := func(ss ...string) []netip.Prefix {
		var out []netip.Prefix
		for _, s := range ss {
			out = append(out, netip.MustParsePrefix(s))
		}
		return out
	}
	for _, c := range []struct{ in, want []netip.Prefix }{
		{p("198.51.100.128/25", "198.51.100.0/25"), p("198.51.100.0/24")},
		{p("203.0.113.0/24", "203.0.113.7/32"), p("203.0.113.0/24")},
		{p("203.0.113.9/24"), p("203.0.113.0/24")},
		{p("10.0.0.128/25", "10.0.1.0/24"), p("10.0.0.128/25", "10.0.1.0/24")},
		{p("192.0.2.1/32", "192.0.2.2/32"), p("192.0.2.1/32", "192.0.2.2/32")},
		{p("192.0.2.2/32", "192.0.2.3/32"), p("192.0.2.2/31")},
		{p("2001:db8:1::/48", "2001:db8::/48"), p("2001:db8::/47")},
		{p("255.255.255.255/32", "255.255.255.254/32"), p("255.255.255.254/31")},
		{p("0.0.0.0/0", "192.0.2.0/24"), p("0.0.0.0/0")},
	} {
		if got := NormalizePrefixes(c.in); !slices.Equal(got, c.want) {
			t.Errorf("NormalizePrefixes(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestBuildRefuses(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(sp *plan.SitePlan)
		mode string
		want string
	}{
		{"no exposure", func(sp *plan.SitePlan) { sp.Exposures = nil }, plan.ModePAT, "no pat exposure"},
		{"default port", func(sp *plan.SitePlan) { sp.Exposures[2].ExternalPort = 37777 }, plan.ModePAT, "default port"},
		{"zero port", func(sp *plan.SitePlan) { sp.Exposures[2].ExternalPort = 0 }, plan.ModePAT, "port 0"},
		{"zero device port", func(sp *plan.SitePlan) { sp.Exposures[2].DevicePort = 0 }, plan.ModePAT, "port 0"},
		{"any protocol", func(sp *plan.SitePlan) { sp.Exposures[2].Protocol = "" }, plan.ModePAT, "never any protocol"},
		{"ipv6 public for pat", func(sp *plan.SitePlan) { sp.Exposures[2].PublicAddress = "2001:db8::1" }, plan.ModePAT, "not an IPv4"},
		{"subnet device", func(sp *plan.SitePlan) { sp.Exposures[2].DeviceAddress = "192.168.1.0/24" }, plan.ModePAT, "not an address"},
		{"no v6 source", func(sp *plan.SitePlan) { sp.Site.Clients.Sources = []string{"0.0.0.0/0"} }, plan.ModeIPv6, "no IPv6 source"},
		{"bad source", func(sp *plan.SitePlan) { sp.Site.Clients.Sources = []string{"any"} }, plan.ModePAT, "not a CIDR"},
		{"vpn any protocol", func(sp *plan.SitePlan) { sp.Site.Devices[0].Services[0].Protocol = "any" }, plan.ModeVPN, "never any protocol"},
		{"vpn port 0", func(sp *plan.SitePlan) { sp.Site.Devices[0].Services[0].Port = 0 }, plan.ModeVPN, "port 0"},
		{"vpn no address", func(sp *plan.SitePlan) { sp.Site.Devices[1].IPv4 = "" }, plan.ModeVPN, "no address"},
	} {
		sp := samplePlan("x", nil)
		c.edit(sp)
		_, err := Build(sp, c.mode)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
	if rs, err := Build(samplePlan("x", nil), plan.ModeDMZ); rs != nil || err != nil {
		t.Errorf("dmz: got %v, %v; want nothing, ever", rs, err)
	}
}

func TestValidateRefuses(t *testing.T) {
	host := netip.MustParsePrefix("192.168.1.108/32")
	fwd := func(rules ...Rule) *Ruleset {
		return &Ruleset{Table: Table{Chains: []Chain{{Name: "forward", Type: ChainFilter, Hook: HookForward, Policy: PolicyAccept, Rules: rules}}}}
	}
	pre := func(rules ...Rule) *Ruleset {
		return &Ruleset{Table: Table{Chains: []Chain{{Name: "prerouting", Type: ChainNAT, Hook: HookPrerouting, Priority: -100, Policy: PolicyAccept, Rules: rules}}}}
	}
	dst := Addr{Dir: Dst, Prefix: host}
	svc := Rule{Matches: []Match{dst, Port{TCP, 1}, CtStatusDNAT{}}, Statement: Accept{}}
	dropHost := Rule{Matches: []Match{dst}, Statement: Drop{}}
	wg := IIFName{WireGuardInterface}
	// The builders' shapes are valid: the cases below are each one edit away.
	for _, ok := range []*Ruleset{
		fwd(establishedRule(), svc, dropHost),
		fwd(establishedRule(), Rule{Matches: []Match{wg, dst, Port{UDP, 9}}, Statement: Accept{}}, Rule{Matches: []Match{wg}, Statement: Drop{}}),
	} {
		if err := Validate(ok); err != nil {
			t.Fatalf("valid forward chain refused: %v", err)
		}
	}
	for _, c := range []struct {
		name string
		rs   *Ruleset
		want string
	}{
		{"accept everything", fwd(Rule{Statement: Accept{}}), "forwards everything"},
		{"whole host", fwd(Rule{Matches: []Match{dst}, Statement: Accept{}}), "exactly one protocol and port"},
		{"any protocol", fwd(Rule{Matches: []Match{dst, CtStatusDNAT{}}, Statement: Accept{}}), "exactly one protocol and port"},
		{"zero port", fwd(Rule{Matches: []Match{dst, Port{TCP, 0}}, Statement: Accept{}}), "port 0"},
		{"two ports", fwd(Rule{Matches: []Match{dst, Port{TCP, 1}, Port{TCP, 2}}, Statement: Accept{}}), "exactly one protocol and port"},
		{"subnet", fwd(Rule{Matches: []Match{Addr{Dir: Dst, Prefix: netip.MustParsePrefix("192.168.1.0/24")}, Port{TCP, 1}}, Statement: Accept{}}), "one destination host"},
		{"no destination", fwd(Rule{Matches: []Match{Port{TCP, 1}}, Statement: Accept{}}), "one destination host"},
		{"ct new", fwd(Rule{Matches: []Match{CtState{[]string{"new"}}}, Statement: Accept{}}), "admit new flows"},
		{"other protocol", fwd(Rule{Matches: []Match{dst, Port{"sctp", 1}}, Statement: Accept{}}), "only tcp and udp"},
		{"policy drop", &Ruleset{Table: Table{Chains: []Chain{{Name: "forward", Type: ChainFilter, Hook: HookForward, Policy: PolicyDrop,
			Rules: []Rule{establishedRule(), svc, dropHost}}}}}, "must have policy accept: policy drop would also drop the LAN's own forwarded traffic"},
		{"no drop at all", fwd(establishedRule(), svc), "no drop after the last accept"},
		{"empty chain", fwd(), "no drop after the last accept"},
		{"unconditional drop", fwd(establishedRule(), svc, dropHost, Rule{Statement: Drop{}}), "unconditional drop"},
		{"drop a subnet", fwd(svc, Rule{Matches: []Match{Addr{Dir: Dst, Prefix: netip.MustParsePrefix("192.168.1.0/24")}}, Statement: Drop{}}), "one destination host"},
		{"drop a source", fwd(svc, dropHost, Rule{Matches: []Match{Addr{Dir: Src, Prefix: netip.MustParsePrefix("198.51.100.7/32")}}, Statement: Drop{}}), "one destination host"},
		{"drop a port", fwd(svc, Rule{Matches: []Match{Port{TCP, 22}}, Statement: Drop{}}), "a drop must match"},
		{"drop a set", fwd(svc, dropHost, Rule{Matches: []Match{AddrSet{IP, Src, "s"}}, Statement: Drop{}}), "not defined"},
		{"drop host and port", fwd(svc, Rule{Matches: []Match{dst, Port{TCP, 1}}, Statement: Drop{}}), "exactly one of"},
		{"drop on ct state", fwd(svc, dropHost, Rule{Matches: []Match{CtState{[]string{"new"}}}, Statement: Drop{}}), "a drop must match"},
		{"accept after the drops", fwd(establishedRule(), dropHost, svc), "rule 3: an accept after the drops"},
		{"exposed host left open", fwd(svc, Rule{Matches: []Match{wg}, Statement: Drop{}}), "rule 1: nothing drops the rest of the traffic toward 192.168.1.108"},
		{"ct status dnat drop", fwd(svc, dropHost, Rule{Matches: []Match{CtStatusDNAT{}}, Statement: Drop{}}), "customer's own port forwards"},
		{"other host dropped", fwd(svc, Rule{Matches: []Match{Addr{Dir: Dst, Prefix: netip.MustParsePrefix("192.168.1.9/32")}}, Statement: Drop{}}), "toward 192.168.1.108"},
		{"tunnel accept, other interface dropped", fwd(Rule{Matches: []Match{wg, dst, Port{TCP, 1}}, Statement: Accept{}}, Rule{Matches: []Match{IIFName{"wan"}}, Statement: Drop{}}), "nothing drops the rest"},
		{"drop in prerouting", pre(Rule{Matches: []Match{dst}, Statement: Drop{}}), "drop outside a forward filter chain"},
		{"mixed families", fwd(Rule{Matches: []Match{Addr{Dir: Src, Prefix: netip.MustParsePrefix("2001:db8::/32")}, dst, Port{TCP, 1}}, Statement: Accept{}}), "mixes ip and ip6"},
		{"unknown set", fwd(Rule{Matches: []Match{AddrSet{IP, Src, "nope"}, dst, Port{TCP, 1}}, Statement: Accept{}}), "not defined"},
		{"dnat without port", pre(Rule{Matches: []Match{dst}, Statement: DNAT{netip.MustParseAddr("192.168.1.1"), 80}}), "exactly one protocol and port"},
		{"dnat to port 0", pre(Rule{Matches: []Match{dst, Port{TCP, 1}}, Statement: DNAT{netip.MustParseAddr("192.168.1.1"), 0}}), "port 0"},
		{"dnat family", pre(Rule{Matches: []Match{dst, Port{TCP, 1}}, Statement: DNAT{netip.MustParseAddr("2001:db8::1"), 1}}), "target"},
		{"dnat in forward", fwd(Rule{Matches: []Match{dst, Port{TCP, 1}}, Statement: DNAT{netip.MustParseAddr("192.168.1.1"), 1}}), "outside a nat prerouting"},
		{"no statement", fwd(Rule{Matches: []Match{dst, Port{TCP, 1}}}), "no statement"},
		{"unknown rule", fwd(Rule{Unknown: "x"}), "not generated by p2pplan"},
		{"bad ifname", fwd(Rule{Matches: []Match{IIFName{"a\"b"}, dst, Port{TCP, 1}}, Statement: Accept{}}), "interface name"},
		{"bad chain name", &Ruleset{Table: Table{Chains: []Chain{{Name: "Fwd;", Type: ChainFilter, Hook: HookForward, Policy: PolicyAccept}}}}, "not an identifier"},
		{"set not canonical", &Ruleset{Table: Table{Sets: []Set{{Name: "s", Type: IPv4Addr, Elements: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/25"), netip.MustParsePrefix("192.0.2.128/25")}}}}}, "not canonical"},
	} {
		err := Validate(c.rs)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Validate = %v, want %q", c.name, err, c.want)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	good := string(Format(mustBuild(t, samplePlan("x", nil), plan.ModePAT)))
	rule := "ip saddr @clients4 ip daddr 192.168.1.108 tcp dport 37777 ct status dnat accept comment \"pat nvr/main tcp 40001 to 37777\""
	if !strings.Contains(good, rule) {
		t.Fatalf("fixture changed; update this test:\n%s", good)
	}
	lineOf := func(s string) int {
		for i, l := range strings.Split(good, "\n") {
			if strings.Contains(l, s) {
				return i + 1
			}
		}
		return 0
	}
	ruleLine := lineOf(rule)
	for _, c := range []struct {
		name, old, new string
		want           string
	}{
		// Cases with an empty want edit the nvr/main forward rule and must be
		// refused at its line.
		{"other table", "table inet p2pplan\ndelete", "table inet filter\ndelete", "pat.nft:3: expected \"table inet p2pplan\""},
		{"no delete", "delete table inet p2pplan\n", "", "pat.nft:4: expected \"delete table inet p2pplan\""},
		{"port range", "tcp dport 37777 ct", "tcp dport 37000-38000 ct", ""},
		{"port set", "tcp dport 37777 ct", "tcp dport { 37777, 554 } ct", ""},
		{"zero port", "tcp dport 37777 ct", "tcp dport 0 ct", ""},
		{"whole host", "ip daddr 192.168.1.108 tcp dport 37777 ct status dnat accept", "ip daddr 192.168.1.108 accept", ""},
		{"any protocol", "tcp dport 37777 ct", "ct", ""},
		{"jump", "ct status dnat accept comment", "ct status dnat jump x comment", ""},
		{"meta l4proto", "tcp dport 37777 ct", "meta l4proto tcp ct", ""},
		{"host bits", "ip daddr 192.168.1.108", "ip daddr 192.168.1.108/24", ""},
		{"quote in comment", "to 37777\"", "to 37777\\\" drop \"", ""},
		{"semicolon comment", "to 37777\"", "to 37777;\"", "never writes"},
		{"second statement", "accept comment", "accept drop comment", ""},
		{"trailing table", "}\n}\n", "}\n}\ntable ip evil {\n}\n", "after the table"},
		{"unterminated", "}\n}\n", "}\n", "unexpected end of file"},
		{"policy drop", "filter; policy accept;", "filter; policy drop;", "pat.nft:19: chain forward: a forward filter chain must have policy accept: policy drop would"},
		{"unconditional drop", "\t\tip daddr 192.168.1.108 drop comment", "\t\tdrop comment", "pat.nft:26: chain forward: rule 6: an unconditional drop"},
		{"drop a subnet", "ip daddr 192.168.1.108 drop", "ip daddr 192.168.1.0/24 drop", "pat.nft:26: chain forward: rule 6: a drop on an address must name one destination host"},
		{"drop with a port", "ip daddr 192.168.1.108 drop", "ip daddr 192.168.1.108 tcp dport 8000 drop", "pat.nft:26: chain forward: rule 6: a drop must match exactly one of"},
		{"drop by source", "ip daddr 192.168.1.108 drop", "ip saddr 192.168.1.108 drop", "pat.nft:26: chain forward: rule 6: a drop on an address must name one destination host"},
		{"drop jump", "ip daddr 192.168.1.108 drop", "ip daddr 192.168.1.108 jump x", "pat.nft:26: unsupported \"jump\""},
		{"drop on oifname", "ip daddr 192.168.1.108 drop", "oifname \"lan\" drop", "pat.nft:26: unsupported \"oifname\""},
		{"device left open", "\t\tip daddr 192.168.1.108 drop comment \"pat nvr not exposed otherwise\"\n", "", "pat.nft:23: chain forward: rule 3: nothing drops the rest of the traffic toward 192.168.1.108"},
		{"no drops", "\t\tip daddr 192.168.1.64 drop comment \"pat cam-1 not exposed otherwise\"\n\t\tip daddr 192.168.1.108 drop comment \"pat nvr not exposed otherwise\"\n", "", "pat.nft:19: chain forward: no drop after the last accept"},
		{"drop moved first", "\t\tct state established,related accept\n", "\t\tip daddr 192.168.1.108 drop\n\t\tct state established,related accept\n", "pat.nft:22: chain forward: rule 2: an accept after the drops"},
		{"dnat drop", "ip daddr 192.168.1.108 drop", "ct status dnat drop", "ct status dnat drop would also stop the customer's own port forwards"},
		{"crlf", "\n", "\r\n", "carriage return"},
	} {
		bad := strings.Replace(good, c.old, c.new, 1)
		if c.want == "" {
			bad = strings.Replace(good, rule, strings.Replace(rule, c.old, c.new, 1), 1)
		}
		if bad == good {
			t.Fatalf("%s: fixture does not contain %q", c.name, c.old)
		}
		_, err := Parse("pat.nft", []byte(bad))
		if err == nil {
			t.Errorf("%s: Parse accepted:\n%s", c.name, bad)
			continue
		}
		want := c.want
		if want == "" {
			want = "pat.nft:" + strconv.Itoa(ruleLine) + ":"
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", c.name, err, want)
		}
	}
}

func TestDiffLines(t *testing.T) {
	got := DiffLines([]string{"a", "b", "c", "d"}, []string{"a", "x", "c", "d", "e"})
	want := []Line{{' ', "a"}, {'-', "b"}, {'+', "x"}, {' ', "c"}, {' ', "d"}, {'+', "e"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DiffLines = %v, want %v", got, want)
	}
	if got := DiffLines(nil, []string{"a"}); !reflect.DeepEqual(got, []Line{{'+', "a"}}) {
		t.Errorf("DiffLines from nothing = %v", got)
	}
}

func TestCompare(t *testing.T) {
	pat := mustBuild(t, samplePlan("x", nil), plan.ModePAT)
	vpn := mustBuild(t, samplePlan("x", nil), plan.ModeVPN)
	if c := Compare(&pat.Table, &pat.Table); !c.Empty() || c.Summary() != "no changes" {
		t.Errorf("same table: %s", c.Summary())
	}
	c := Compare(&pat.Table, &vpn.Table)
	if want := "6 rules added, 8 rules removed, 1 chain removed, 1 set removed"; c.Summary() != want {
		t.Errorf("pat→vpn: %s, want %s", c.Summary(), want)
	}
	if c := Compare(nil, &pat.Table); c.RulesAdded != 9 || c.ChainsAdded != 2 || c.SetsAdded != 1 || c.RulesRemoved != 0 {
		t.Errorf("from nothing: %s", c.Summary())
	}
}
