package portmap

import (
	"context"
	"math/rand"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/p2pplan/p2pplan/internal/golden"
	"github.com/p2pplan/p2pplan/internal/mdtext"
	"github.com/p2pplan/p2pplan/internal/plan"
	"github.com/p2pplan/p2pplan/internal/randsite"
	"github.com/p2pplan/p2pplan/internal/site"
)

// testWellKnown stands in for policies/data.json's well_known_ports, which
// the caller passes in production.
var testWellKnown = []int{21, 22, 23, 80, 443, 554, 8000, 8080, 37777, 37778}

func lyon() *site.Site {
	return &site.Site{
		Name:        "lyon-pharmacy",
		Description: "Pharmacy \"front\"\n# not a comment; }",
		Profile:     "small_business",
		WAN: site.WAN{
			IPv4: "198.51.100.23", IPv4Fixed: true,
			SharedIPv4Ports: &site.PortRange{From: 16384, To: 32767},
			IPv6Prefix:      "2001:db8:20::/56", IPv6Fixed: true,
		},
		Devices: []site.Device{
			{Name: "nvr", Description: "NVR 'back' office", IPv4: "192.168.1.108", IPv6: "2001:db8:20::108",
				Services: []site.Service{
					{Name: "rtsp", Protocol: "tcp", Port: 554},
					{Name: "main", Protocol: "tcp", Port: 37777},
				}},
			{Name: "cam1", IPv4: "192.168.1.64", IPv6: "2001:db8:20::64",
				Services: []site.Service{{Name: "web", Protocol: "tcp", Port: 80, ExternalPort: 20080}}},
		},
		Clients: site.Clients{Sources: []string{"203.0.113.0/24", "198.51.100.7", "2001:db8:ff::/48"}},
	}
}

func generate(t *testing.T, s *site.Site, mode string) map[string][]byte {
	t.Helper()
	ex, err := Allocate(s, testWellKnown, mode)
	if err != nil {
		t.Fatal(err)
	}
	arts, err := Generator{}.Generate(context.Background(), &plan.SitePlan{Site: s, Exposures: ex}, mode)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, a := range arts {
		if a.Mode != 0o644 || a.Sensitive {
			t.Errorf("%s: mode %o sensitive %v, want 0644 and not sensitive", a.Path, a.Mode, a.Sensitive)
		}
		out[a.Path] = a.Data
	}
	return out
}

func TestGolden(t *testing.T) {
	anyone := lyon()
	anyone.Name = "anyone"
	anyone.WAN.SharedIPv4Ports = nil
	anyone.Clients.Sources = []string{"0.0.0.0/0", "::/0"}
	for _, s := range []*site.Site{lyon(), anyone} {
		for _, mode := range []string{plan.ModePAT, plan.ModeIPv6} {
			arts := generate(t, s, mode)
			if len(arts) != 5 {
				t.Errorf("%s %s: %d artifacts, want 5", s.Name, mode, len(arts))
			}
			for p, data := range arts {
				golden.Testdata(t, p+".golden", data)
			}
		}
	}
}

func TestAllocateLyon(t *testing.T) {
	ex, err := Allocate(lyon(), testWellKnown, plan.ModePAT, plan.ModeIPv6)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ex {
		got = append(got, e.Mode+"/"+e.Device+"/"+e.Service)
	}
	want := []string{"pat/cam1/web", "pat/nvr/main", "pat/nvr/rtsp", "ipv6/cam1/web", "ipv6/nvr/main", "ipv6/nvr/rtsp"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("order = %v, want %v", got, want)
	}
	if ex[0].ExternalPort != 20080 {
		t.Errorf("pinned port: got %d, want 20080", ex[0].ExternalPort)
	}
	if !reflect.DeepEqual(ex[0].Sources, []string{"198.51.100.7/32", "203.0.113.0/24"}) {
		t.Errorf("pat sources = %v", ex[0].Sources)
	}
	if !reflect.DeepEqual(ex[3].Sources, []string{"2001:db8:ff::/48"}) || ex[3].PublicAddress != "2001:db8:20::64" {
		t.Errorf("ipv6 exposure = %+v", ex[3])
	}
}

func TestAllocateErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*site.Site)
		well  []int
		mode  string
		match string
	}{
		{"no well-known list", func(*site.Site) {}, []int{}, plan.ModePAT, "well-known port list is empty"},
		{"pinned default", func(s *site.Site) { s.Devices[1].Services[0].ExternalPort = 80 }, nil, plan.ModePAT, "between 1024"},
		{"pinned own default", func(s *site.Site) {
			s.Devices[1].Services[0].Port = 20080
		}, nil, plan.ModePAT, "default port"},
		{"pinned well-known", func(s *site.Site) { s.Devices[1].Services[0].ExternalPort = 8080 }, nil, plan.ModePAT, "well-known"},
		{"pinned system port", func(s *site.Site) { s.Devices[1].Services[0].ExternalPort = 1000 }, nil, plan.ModePAT, "between 1024"},
		{"pinned outside range", func(s *site.Site) { s.Devices[1].Services[0].ExternalPort = 40000 }, nil, plan.ModePAT, "outside the assigned"},
		{"pinned twice", func(s *site.Site) {
			s.Devices[0].Services[0].ExternalPort = 20080
		}, nil, plan.ModePAT, "pinned twice"},
		{"range too small", func(s *site.Site) { s.WAN.SharedIPv4Ports = &site.PortRange{From: 20080, To: 20081} }, nil, plan.ModePAT, "cannot hold"},
		{"range of excluded ports", func(s *site.Site) {
			s.Devices[1].Services[0].ExternalPort = 0
			s.WAN.SharedIPv4Ports = &site.PortRange{From: 8080, To: 8080}
		}, nil, plan.ModePAT, "cannot hold"},
		{"no ipv4 source", func(s *site.Site) { s.Clients.Sources = []string{"::/0"} }, nil, plan.ModePAT, "no IPv4 network"},
		{"no ipv6 source", func(s *site.Site) { s.Clients.Sources = []string{"0.0.0.0/0"} }, nil, plan.ModeIPv6, "no IPv6 network"},
		{"no wan ipv4", func(s *site.Site) { s.WAN.IPv4 = "" }, nil, plan.ModePAT, "needs wan.ipv4"},
		{"device without ipv6", func(s *site.Site) { s.Devices[0].IPv6 = "" }, nil, plan.ModeIPv6, "no IPv6 address"},
		{"device without ipv4", func(s *site.Site) { s.Devices[0].IPv4 = "" }, nil, plan.ModePAT, "no IPv4 address"},
		{"unknown mode", func(*site.Site) {}, nil, plan.ModeDMZ, "no port map"},
		{"bad protocol", func(s *site.Site) { s.Devices[0].Services[0].Protocol = "sctp" }, nil, plan.ModePAT, "not tcp or udp"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := lyon()
			tc.edit(s)
			well := tc.well
			if well == nil {
				well = testWellKnown
			}
			_, err := Allocate(s, well, tc.mode)
			if err == nil || !regexp.MustCompile(tc.match).MatchString(err.Error()) {
				t.Fatalf("err = %v, want one matching %q", err, tc.match)
			}
		})
	}
}

// TestStableAcrossChanges: the hash start makes a port depend on its own
// names, so unrelated edits (reordering, adding a device on another
// protocol) leave existing ports alone.
func TestStableAcrossChanges(t *testing.T) {
	base, err := Allocate(lyon(), testWellKnown, plan.ModePAT)
	if err != nil {
		t.Fatal(err)
	}
	s := lyon()
	slices.Reverse(s.Devices)
	slices.Reverse(s.Devices[1].Services)
	s.Devices = append(s.Devices, site.Device{Name: "doorbell", IPv4: "192.168.1.9",
		Services: []site.Service{{Name: "sip", Protocol: "udp", Port: 5060}}})
	moved, err := Allocate(s, testWellKnown, plan.ModePAT)
	if err != nil {
		t.Fatal(err)
	}
	ports := map[string]int{}
	for _, e := range moved {
		ports[e.Device+"/"+e.Service] = e.ExternalPort
	}
	for _, e := range base {
		if ports[e.Device+"/"+e.Service] != e.ExternalPort {
			t.Errorf("%s/%s moved from %d to %d", e.Device, e.Service, e.ExternalPort, ports[e.Device+"/"+e.Service])
		}
	}
}

func TestGenerateOtherModes(t *testing.T) {
	for _, m := range []string{plan.ModeVPN, plan.ModeDMZ, plan.ModeUPnP, plan.ModeAutoRegister, plan.ModeExtraRouter, plan.ModeP2P} {
		arts, err := Generator{}.Generate(context.Background(), &plan.SitePlan{Site: lyon()}, m)
		if arts != nil || err != nil {
			t.Errorf("mode %s: %v %v, want nil, nil", m, arts, err)
		}
	}
	if _, err := (Generator{}).Generate(context.Background(), &plan.SitePlan{Site: lyon()}, plan.ModePAT); err == nil {
		t.Error("pat without exposures: want an error")
	}
	bad := plan.Exposure{Mode: plan.ModePAT, Device: "d", Service: "s", Protocol: "tcp", ExternalPort: 554, DevicePort: 554, Sources: []string{"0.0.0.0/0"}}
	if _, err := (Generator{}).Generate(context.Background(), &plan.SitePlan{Site: lyon(), Exposures: []plan.Exposure{bad}}, plan.ModePAT); err == nil {
		t.Error("an exposure on the default port must be refused at rendering too")
	}
}

func TestQuoting(t *testing.T) {
	for _, tc := range []struct {
		f        func(string) string
		in, want string
	}{
		{uciQuote, "plain", "'plain'"},
		{uciQuote, "it's", `'it'\''s'`},
		{uciQuote, "a\nb\r#}", "'a?b?#}'"},
		{rosQuote, `a"b\c$d?e`, `"a\"b\\c\$d\?e"`},
		{rosQuote, "x\ny;é", `"x\0Ay;\C3\A9"`},
		{mdtext.Escape, "a|b\nc`d<e>", "a\\|b c\\`d\\<e\\>"},
		{commentText, "site\n# x; }", "site?? x? ?"},
	} {
		if got := tc.f(tc.in); got != tc.want {
			t.Errorf("quote(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// No quoted value can end early: stripping the escapes must leave no
	// unescaped delimiter or line break inside.
	r := rand.New(rand.NewSource(7))
	alphabet := []rune("ab'\"\\$?\n\r#;}|`<>é\x00")
	for i := 0; i < 2000; i++ {
		var in []rune
		for n := r.Intn(12); n > 0; n-- {
			in = append(in, alphabet[r.Intn(len(alphabet))])
		}
		s := string(in)
		if q := uciQuote(s); strings.ContainsAny(q, "\n\r") || strings.Count(strings.ReplaceAll(q, `'\''`, ""), "'") != 2 {
			t.Fatalf("uciQuote(%q) = %q", s, q)
		}
		if q := rosQuote(s); strings.ContainsAny(q, "\n\r") || strings.Count(regexp.MustCompile(`\\.`).ReplaceAllString(q, ""), `"`) != 2 {
			t.Fatalf("rosQuote(%q) = %q", s, q)
		}
		if q := mdtext.Escape(s); strings.ContainsAny(q, "\n\r") || strings.Count(regexp.MustCompile(`\\.`).ReplaceAllString(q, ""), "|") != 0 {
			t.Fatalf("mdtext.Escape(%q) = %q", s, q)
		}
	}
}

var (
	uciDport = regexp.MustCompile(`^\toption (src_dport|dest_port) '([0-9]+)'$`)
	rosNat   = regexp.MustCompile(`^/ipv?6? ?firewall nat add chain=dstnat action=dst-nat dst-address="[0-9a-f.:]+/(32|128)" protocol="(tcp|udp)" dst-port="([0-9]+)"( src-address-list="[a-z0-9_-]+")? to-address(es)?="[0-9a-f.:/]+" to-ports="([0-9]+)" comment="[a-z0-9_:-]+"$`)
)

// TestProperties: over 1,000 random valid sites, allocation keeps SPEC §8's
// invariants and every artifact renders single ports without user text.
func TestProperties(t *testing.T) {
	r := rand.New(rand.NewSource(20261125))
	for i := 0; i < 1000; i++ {
		s := randsite.Site(r, i)
		ex, err := Allocate(s, testWellKnown, plan.ModePAT, plan.ModeIPv6)
		if err != nil {
			t.Fatalf("site %d: %v", i, err)
		}
		again, err := Allocate(s, testWellKnown, plan.ModePAT, plan.ModeIPv6)
		if err != nil || !reflect.DeepEqual(ex, again) {
			t.Fatalf("site %d: not stable across runs: %v", i, err)
		}
		nSvc := 0
		defaults := map[string]int{}
		for _, d := range s.Devices {
			nSvc += len(d.Services)
			for _, sv := range d.Services {
				defaults[d.Name+"/"+sv.Name] = sv.Port
			}
		}
		if len(ex) != 2*nSvc {
			t.Fatalf("site %d: %d exposures for %d services in two modes", i, len(ex), nSvc)
		}
		seen := map[string]bool{}
		for _, e := range ex {
			if e.ExternalPort == defaults[e.Device+"/"+e.Service] || e.ExternalPort == e.DevicePort {
				t.Fatalf("site %d: %+v uses the default port", i, e)
			}
			if slices.Contains(testWellKnown, e.ExternalPort) || e.ExternalPort < 1024 || e.ExternalPort > 65535 {
				t.Fatalf("site %d: %+v uses a well-known or system port", i, e)
			}
			k := e.PublicAddress + "/" + e.Protocol + "/" + strconv.Itoa(e.ExternalPort)
			if seen[k] {
				t.Fatalf("site %d: %s allocated twice", i, k)
			}
			seen[k] = true
			if r := s.WAN.SharedIPv4Ports; r != nil && e.Mode == plan.ModePAT && !r.Contains(e.ExternalPort) {
				t.Fatalf("site %d: %d outside the shared range %d-%d", i, e.ExternalPort, r.From, r.To)
			}
			if len(e.Sources) == 0 {
				t.Fatalf("site %d: %+v has no source", i, e)
			}
		}
		sp := &plan.SitePlan{Site: s, Exposures: ex}
		for _, mode := range []string{plan.ModePAT, plan.ModeIPv6} {
			arts, err := Generator{}.Generate(context.Background(), sp, mode)
			if err != nil {
				t.Fatalf("site %d %s: %v", i, mode, err)
			}
			arts2, _ := Generator{}.Generate(context.Background(), sp, mode)
			if !reflect.DeepEqual(arts, arts2) {
				t.Fatalf("site %d %s: output not deterministic", i, mode)
			}
			for _, a := range arts {
				if strings.Contains(string(a.Data), randsite.Marker) {
					t.Fatalf("site %d: %s contains description text:\n%s", i, a.Path, a.Data)
				}
				checkSinglePorts(t, a.Path, string(a.Data))
			}
		}
	}
}

// checkSinglePorts: every port a router format names is one number, never a
// range, and every NAT line names one protocol.
func checkSinglePorts(t *testing.T, p, data string) {
	t.Helper()
	lines := strings.Split(data, "\n")
	switch {
	case strings.HasSuffix(p, ".uci"):
		for _, l := range lines {
			if strings.Contains(l, "port") && !strings.HasPrefix(l, "#") && !uciDport.MatchString(l) {
				t.Fatalf("%s: not a single port: %q", p, l)
			}
			if strings.HasPrefix(l, "\toption proto ") && l != "\toption proto 'tcp'" && l != "\toption proto 'udp'" {
				t.Fatalf("%s: %q", p, l)
			}
		}
		if strings.Count(data, "config redirect") != strings.Count(data, "option proto ") {
			t.Fatalf("%s: a redirect without a protocol", p)
		}
	case strings.HasSuffix(p, ".rsc"):
		for _, l := range lines {
			if strings.Contains(l, " nat add ") && !rosNat.MatchString(l) {
				t.Fatalf("%s: unexpected NAT line %q", p, l)
			}
		}
	}
}
