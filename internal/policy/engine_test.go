package policy

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/p2pplan/p2pplan/internal/measurement"
	"github.com/p2pplan/p2pplan/internal/plan"
	"github.com/p2pplan/p2pplan/internal/site"
)

var (
	engineOnce sync.Once
	engine     *Engine
	engineErr  error
)

func embeddedEngine(t *testing.T) *Engine {
	t.Helper()
	engineOnce.Do(func() {
		src, err := Embedded()
		if err != nil {
			engineErr = err
			return
		}
		engine, engineErr = Compile(context.Background(), src)
	})
	if engineErr != nil {
		t.Fatal(engineErr)
	}
	return engine
}

// siteSpec builds a small site file; each field is HCL placed in its block.
type siteSpec struct {
	profile string // default home
	offline bool
	top     string // extra site-level attributes
	wan     string
	router  string
	clients string
	device  string // extra device attributes
	service string // extra service attributes
	blocks  string // extra blocks (vpn, auto_register)
}

func (s siteSpec) hcl() string {
	profile := s.profile
	if profile == "" {
		profile = "home"
	}
	return fmt.Sprintf(`site "t" {
  profile = %q
  online  = %v
  %s
  wan {
    %s
  }
  router {
    %s
  }
  device "nvr" {
    ipv4 = "192.168.1.10"
    %s
    service "main" {
      protocol = "tcp"
      port     = 37777
      %s
    }
  }
  clients {
    %s
  }
  %s
}
`, profile, !s.offline, s.top, s.wan, s.router, s.device, s.service, s.clients, s.blocks)
}

// decide loads the spec from a temporary file and evaluates it.
func decide(t *testing.T, e *Engine, spec siteSpec, files map[string]string) *plan.SitePlan {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "site.hcl")
	if err := os.WriteFile(path, []byte(spec.hcl()), 0o644); err != nil {
		t.Fatal(err)
	}
	var got *site.Site
	if diags := site.NewLoader().LoadFile(path, func(s *site.Site) { got = s }); diags.HasErrors() {
		t.Fatalf("site does not load: %s\n%s", diags.Error(), spec.hcl())
	}
	sp, err := e.Decide(context.Background(), got)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func hasFinding(sp *plan.SitePlan, id string) bool {
	for _, f := range sp.Findings {
		if f.ID == id {
			return true
		}
	}
	return false
}

func measurementJSON(nat string, operatorNAT, udpBlocked bool) string {
	m := measurement.Measurement{
		Server: "192.0.2.1:3478", Local: "192.168.1.2:40000", Mapped: "198.51.100.9:40000",
		Mapping: measurement.EndpointIndependent, Filtering: measurement.AddressAndPortDependent,
		NAT: nat, OperatorNAT: operatorNAT, UDPBlocked: udpBlocked,
		OperatorNATEvidence: []string{}, Tests: []measurement.Test{},
	}
	raw, _ := json.Marshal(m)
	return string(raw)
}

// TestFindings raises every finding of SPEC §6 that a site can trigger with
// one site that triggers it and one that must not.
func TestFindings(t *testing.T) {
	e := embeddedEngine(t)
	clean := siteSpec{wan: `ipv4 = "198.51.100.5"
    ipv4_fixed = true`, router: `nat = "full_cone"`, clients: `nat = "full_cone"`}
	measured := func(nat string, opNAT, blocked bool) map[string]string {
		return map[string]string{"m.json": measurementJSON(nat, opNAT, blocked)}
	}
	cases := []struct {
		id       string
		triggers siteSpec
		files    map[string]string
	}{
		{"P2P-001", siteSpec{router: `firewall = true
    nat = "full_cone"`, clients: `nat = "full_cone"`}, nil},
		{"P2P-002", siteSpec{wan: `operator_nat = true`, router: `nat = "full_cone"`, clients: `nat = "full_cone"`}, nil},
		{"P2P-003", siteSpec{wan: `ipv4 = "198.51.100.5"
    ipv4_fixed = true
    shared_ipv4_ports = "16384-32767"`, router: `nat = "full_cone"`, clients: `nat = "full_cone"`}, nil},
		{"P2P-004", siteSpec{router: `nat = "symmetric"`, clients: `nat = "full_cone"`}, nil},
		{"P2P-005", siteSpec{wan: `operator_restrictions = true`, router: `nat = "full_cone"`, clients: `nat = "full_cone"`}, nil},
		{"P2P-006", siteSpec{router: `nat = "udp_blocked"`, clients: `nat = "full_cone"`}, nil},
		{"P2P-007", siteSpec{router: `nat = "symmetric"`, clients: `nat = "symmetric"`}, nil},
		{"P2P-008", siteSpec{clients: `nat = "full_cone"`}, nil},
		{"P2P-009", siteSpec{offline: true, router: `nat = "full_cone"`, clients: `nat = "full_cone"`}, nil},
		{"P2P-010", siteSpec{top: `measurement = "m.json"`, router: `nat = "full_cone"`, clients: `nat = "full_cone"`},
			measured(measurement.Symmetric, false, false)},
		{"SEC-001", siteSpec{top: `request = "dmz"`, router: `nat = "full_cone"`, clients: `nat = "full_cone"`}, nil},
		{"SEC-002", siteSpec{router: `upnp = true
    nat = "full_cone"`, clients: `nat = "full_cone"`}, nil},
		{"SEC-003", siteSpec{service: `external_port = 37777`, router: `nat = "full_cone"`, clients: `nat = "full_cone"`}, nil},
		{"SEC-004", siteSpec{wan: `ipv4 = "198.51.100.5"`, router: `nat = "symmetric"`, clients: `nat = "symmetric"`}, nil},
		{"SEC-005", siteSpec{profile: "secured", top: `request = "pat"`, wan: `ipv4 = "198.51.100.5"
    ipv4_fixed = true`, router: `nat = "full_cone"`, clients: `nat = "full_cone"
    sources = ["0.0.0.0/0"]`}, nil},
		{"SEC-006", siteSpec{profile: "secured", router: `nat = "full_cone"`, clients: `nat = "full_cone"`, blocks: `vpn {
    routes = ["0.0.0.0/0"]
  }`}, nil},
	}
	seen := map[string]bool{}
	for _, c := range cases {
		seen[c.id] = true
		t.Run(c.id, func(t *testing.T) {
			if sp := decide(t, e, c.triggers, c.files); !hasFinding(sp, c.id) {
				t.Errorf("%s not raised; findings: %v", c.id, ids(sp))
			}
			sp := decide(t, e, clean, nil)
			if hasFinding(sp, c.id) {
				t.Errorf("%s raised on a clean site", c.id)
			}
			for _, f := range sp.Findings {
				if f.Severity != "info" {
					t.Errorf("clean site has finding %s (%s)", f.ID, f.Severity)
				}
			}
		})
	}
	if len(seen) != 16 {
		t.Errorf("catalogue has 16 IDs, the test covers %d", len(seen))
	}
}

func ids(sp *plan.SitePlan) []string {
	var out []string
	for _, f := range sp.Findings {
		out = append(out, f.ID)
	}
	return out
}

// TestFindingSources checks a finding points at the line that caused it.
func TestFindingSources(t *testing.T) {
	sp := decide(t, embeddedEngine(t), siteSpec{router: `firewall = true
    nat = "full_cone"`, clients: `nat = "full_cone"`}, nil)
	for _, f := range sp.Findings {
		if f.ID == "P2P-001" {
			if f.Field != "router.firewall" || f.Source.Line != 9 || !strings.HasSuffix(f.Source.File, "site.hcl") {
				t.Errorf("P2P-001 source = %+v field %q, want site.hcl:9 router.firewall", f.Source, f.Field)
			}
			return
		}
	}
	t.Fatal("P2P-001 not raised")
}

// TestPathMatrix checks SPEC §5's direct/relay/blocked rule for every pair
// of classic NAT types, against a table written from the field guide.
func TestPathMatrix(t *testing.T) {
	e := embeddedEngine(t)
	cone := map[string]bool{"open": true, "full_cone": true, "restricted_cone": true, "port_restricted_cone": true}
	want := func(a, b string) string {
		switch {
		case a == "udp_blocked" || b == "udp_blocked":
			return "blocked"
		case cone[a] && cone[b]:
			return "direct"
		case a == "symmetric" && b != "symmetric" && b != "port_restricted_cone",
			b == "symmetric" && a != "symmetric" && a != "port_restricted_cone":
			return "direct"
		default:
			return "relay"
		}
	}
	for _, siteNAT := range measurement.ClassicNATs {
		for _, clientNAT := range measurement.ClassicNATs {
			sp := decide(t, e, siteSpec{router: fmt.Sprintf("nat = %q", siteNAT), clients: fmt.Sprintf("nat = %q", clientNAT)}, nil)
			if got := sp.P2P.Path; got != want(siteNAT, clientNAT) {
				t.Errorf("site %s, clients %s: path %s, want %s", siteNAT, clientNAT, got, want(siteNAT, clientNAT))
			}
		}
	}
	// A firewall blocks whatever the NAT types.
	sp := decide(t, e, siteSpec{router: `firewall = true
    nat = "open"`, clients: `nat = "open"`}, nil)
	if sp.P2P.Path != "blocked" {
		t.Errorf("firewall: path %s, want blocked", sp.P2P.Path)
	}
}

// TestMeasurementWins checks a measurement overrides the declared NAT.
func TestMeasurementWins(t *testing.T) {
	sp := decide(t, embeddedEngine(t), siteSpec{top: `measurement = "m.json"`, router: `nat = "full_cone"`, clients: `nat = "symmetric"`},
		map[string]string{"m.json": measurementJSON(measurement.Symmetric, true, false)})
	if !sp.P2P.Measured || sp.P2P.SiteNAT != "symmetric" || sp.P2P.Path != "relay" {
		t.Errorf("p2p = %+v, want measured symmetric, relay", sp.P2P)
	}
	for _, id := range []string{"P2P-002", "P2P-004", "P2P-010"} {
		if !hasFinding(sp, id) {
			t.Errorf("%s not raised: %v", id, ids(sp))
		}
	}
}

// TestProfileChoice checks the first applicable mode of each profile.
func TestProfileChoice(t *testing.T) {
	e := embeddedEngine(t)
	fixed := `ipv4 = "198.51.100.5"
    ipv4_fixed = true`
	vpn := `vpn {
    hub            = "vpn.example.net:51820"
    hub_public_key = "n9TcWYSm5CeJMCzbCCa0mFm2g+tHkKalIAaK78anMCc="
    tunnel         = "10.99.0.0/24"
    address        = "10.99.0.2/32"
  }`
	platform := `auto_register {
    platform = "203.0.113.50"
    port     = 7000
  }`
	cases := []struct {
		name string
		spec siteSpec
		want string
	}{
		{"home direct p2p", siteSpec{router: `nat = "full_cone"`, clients: `nat = "full_cone"`}, "p2p"},
		{"home relay pat", siteSpec{wan: fixed, router: `nat = "symmetric"`, clients: `nat = "symmetric"`}, "pat"},
		{"home relay no ipv4 vpn", siteSpec{router: `nat = "symmetric"`, clients: `nat = "symmetric"`}, "vpn"},
		{"home udp blocked extra router", siteSpec{router: `nat = "udp_blocked"`, clients: `nat = "symmetric"`}, "extra_router"},
		{"secured vpn", siteSpec{profile: "secured", wan: fixed, router: `nat = "full_cone"`, clients: `nat = "full_cone"`, blocks: vpn}, "vpn"},
		{"monitoring auto_register", siteSpec{profile: "monitoring_center", router: `nat = "full_cone"`, clients: `nat = "full_cone"`, blocks: platform}, "auto_register"},
		{"video provider without platform vpn", siteSpec{profile: "video_provider", router: `nat = "full_cone"`, clients: `nat = "full_cone"`}, "vpn"},
		{"managed vpn", siteSpec{profile: "managed", router: `nat = "full_cone"`, clients: `nat = "full_cone"`, blocks: platform}, "vpn"},
		{"request honoured", siteSpec{top: `request = "vpn"`, wan: fixed, router: `nat = "symmetric"`, clients: `nat = "symmetric"`}, "vpn"},
		{"request not applicable", siteSpec{top: `request = "pat"`, router: `nat = "symmetric"`, clients: `nat = "symmetric"`}, "vpn"},
		{"dmz request denied", siteSpec{top: `request = "dmz"`, wan: fixed, router: `nat = "symmetric"`, clients: `nat = "symmetric"`}, "pat"},
		{"upnp request never", siteSpec{top: `request = "upnp"`, wan: fixed, router: `nat = "symmetric"`, clients: `nat = "symmetric"`}, "pat"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sp := decide(t, e, c.spec, nil)
			if sp.Chosen != c.want {
				t.Errorf("chosen %s, want %s (alternatives %+v)", sp.Chosen, c.want, sp.Alternatives)
			}
		})
	}
}

// TestDMZNeverChosen overrides the profile order to put dmz and upnp first:
// neither may ever come out, and the DMZ request stays denied.
func TestDMZNeverChosen(t *testing.T) {
	src, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	data := `{"p2pplan": {"config": {"order": {"home": ["dmz", "upnp", "p2p", "pat", "extra_router"]}}}}`
	if err := os.WriteFile(filepath.Join(dir, "data.json"), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := src.Overlay(dir); err != nil {
		t.Fatal(err)
	}
	e, err := Compile(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	for _, req := range []string{"", `request = "dmz"`, `request = "upnp"`} {
		sp := decide(t, e, siteSpec{top: req, router: `nat = "symmetric"
    dmz_host = "192.168.1.10"`, clients: `nat = "symmetric"`}, nil)
		if sp.Chosen == plan.ModeDMZ || sp.Chosen == plan.ModeUPnP {
			t.Errorf("request %q: chosen %s", req, sp.Chosen)
		}
		if !sp.Denied() || sp.Denials[0].ID != "SEC-001" {
			t.Errorf("request %q: denials %+v, want SEC-001", req, sp.Denials)
		}
	}
}

// TestFailClosed: policies that leave the decision undefined, choose dmz
// or upnp, choose an inapplicable mode or drop the DMZ denial never give a
// plan that lets a DMZ through.
func TestFailClosed(t *testing.T) {
	alts := `[{"mode": m, "applicable": true, "recommended": false, "reasons": []} |
		some m in ["p2p", "vpn", "auto_register", "ipv6", "pat", "extra_router", "dmz", "upnp"]]`
	decision := func(chosen string) string {
		return fmt.Sprintf(`package p2pplan

decision := {
	"p2p": {"path": "direct", "site_nat": "open", "client_nat": "open", "measured": false},
	"findings": [], "denials": [], "alternatives": %s,
	"chosen": %q, "request": null, "checklist": [],
}
`, alts, chosen)
	}
	cases := map[string]string{
		"undefined": "package p2pplan\n\ndecision := x if { x := input.nothing }\n",
		"dmz":       decision("dmz"),
		"upnp":      decision("upnp"),
		"unknown":   decision("teleport"),
		"empty":     decision(""),
	}
	for name, rego := range cases {
		t.Run(name, func(t *testing.T) {
			e, err := Compile(context.Background(), &Source{Modules: map[string]string{"p.rego": rego}, Data: map[string]any{}})
			if err != nil {
				t.Fatal(err)
			}
			s := loadSpec(t, siteSpec{})
			if sp, err := e.Decide(context.Background(), s); err == nil {
				t.Fatalf("no error; chosen %q", sp.Chosen)
			}
		})
	}
	// A policy that forgets the DMZ denial: Go adds it.
	e, err := Compile(context.Background(), &Source{Modules: map[string]string{"p.rego": decision("pat")}, Data: map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := e.Decide(context.Background(), loadSpec(t, siteSpec{top: `request = "dmz"`}))
	if err != nil {
		t.Fatal(err)
	}
	if !sp.Denied() || sp.Denials[0].ID != "SEC-001" || sp.Denials[0].Field != "request" {
		t.Errorf("denials %+v, want SEC-001 on request", sp.Denials)
	}
	for _, a := range sp.Alternatives {
		if (a.Mode == "dmz" || a.Mode == "upnp") && a.Applicable {
			t.Errorf("%s reported applicable", a.Mode)
		}
	}
}

func loadSpec(t *testing.T, spec siteSpec) *site.Site {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.hcl")
	if err := os.WriteFile(path, []byte(spec.hcl()), 0o644); err != nil {
		t.Fatal(err)
	}
	var s *site.Site
	if diags := site.NewLoader().LoadFile(path, func(x *site.Site) { s = x }); diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return s
}
