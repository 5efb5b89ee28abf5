package planner

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/p2pplan/p2pplan/generators/registry"
	"github.com/p2pplan/p2pplan/internal/measurement"
	"github.com/p2pplan/p2pplan/internal/outdir"
	"github.com/p2pplan/p2pplan/internal/plan"
	"github.com/p2pplan/p2pplan/internal/policy"
	"github.com/p2pplan/p2pplan/internal/randsite"
	"github.com/p2pplan/p2pplan/internal/report"
	"github.com/p2pplan/p2pplan/internal/site"
	"github.com/p2pplan/p2pplan/internal/wgkeys"
)

// writeHCL renders s as a site file with hclwrite, which quotes every
// string, so hostile descriptions go through the real loader.
func writeHCL(b *hclwrite.Body, s *site.Site) {
	blk := b.AppendNewBlock("site", []string{s.Name}).Body()
	blk.SetAttributeValue("description", cty.StringVal(s.Description))
	blk.SetAttributeValue("profile", cty.StringVal(s.Profile))
	blk.SetAttributeValue("online", cty.BoolVal(s.Online))
	if s.Request != "" {
		blk.SetAttributeValue("request", cty.StringVal(s.Request))
	}
	wan := blk.AppendNewBlock("wan", nil).Body()
	wan.SetAttributeValue("ipv4", cty.StringVal(s.WAN.IPv4))
	wan.SetAttributeValue("ipv4_fixed", cty.BoolVal(s.WAN.IPv4Fixed))
	wan.SetAttributeValue("operator_nat", cty.BoolVal(s.WAN.OperatorNAT))
	wan.SetAttributeValue("operator_restrictions", cty.BoolVal(s.WAN.OperatorRestrictions))
	if r := s.WAN.SharedIPv4Ports; r != nil {
		wan.SetAttributeValue("shared_ipv4_ports", cty.StringVal(fmt.Sprintf("%d-%d", r.From, r.To)))
	}
	wan.SetAttributeValue("ipv6_prefix", cty.StringVal(s.WAN.IPv6Prefix))
	wan.SetAttributeValue("ipv6_fixed", cty.BoolVal(s.WAN.IPv6Fixed))
	router := blk.AppendNewBlock("router", nil).Body()
	router.SetAttributeValue("firewall", cty.BoolVal(s.Router.Firewall))
	router.SetAttributeValue("upnp", cty.BoolVal(s.Router.UPnP))
	router.SetAttributeValue("nat", cty.StringVal(s.Router.NAT))
	if s.Router.DMZHost != "" {
		router.SetAttributeValue("dmz_host", cty.StringVal(s.Router.DMZHost))
	}
	for _, d := range s.Devices {
		dev := blk.AppendNewBlock("device", []string{d.Name}).Body()
		dev.SetAttributeValue("description", cty.StringVal(d.Description))
		dev.SetAttributeValue("ipv4", cty.StringVal(d.IPv4))
		dev.SetAttributeValue("ipv6", cty.StringVal(d.IPv6))
		for _, sv := range d.Services {
			svc := dev.AppendNewBlock("service", []string{sv.Name}).Body()
			svc.SetAttributeValue("protocol", cty.StringVal(sv.Protocol))
			svc.SetAttributeValue("port", cty.NumberIntVal(int64(sv.Port)))
		}
	}
	cl := blk.AppendNewBlock("clients", nil).Body()
	cl.SetAttributeValue("nat", cty.StringVal(s.Clients.NAT))
	cl.SetAttributeValue("ipv6", cty.BoolVal(s.Clients.IPv6))
	var srcs []cty.Value
	for _, src := range s.Clients.Sources {
		srcs = append(srcs, cty.StringVal(src))
	}
	cl.SetAttributeValue("sources", cty.ListVal(srcs))
	if v := s.VPN; v != nil {
		vb := blk.AppendNewBlock("vpn", nil).Body()
		vb.SetAttributeValue("hub", cty.StringVal(v.Hub))
		vb.SetAttributeValue("hub_public_key", cty.StringVal(v.HubPublicKey))
		vb.SetAttributeValue("tunnel", cty.StringVal(v.Tunnel))
		vb.SetAttributeValue("address", cty.StringVal(v.Address))
		routes := []cty.Value{}
		for _, r := range v.Routes {
			routes = append(routes, cty.StringVal(r))
		}
		vb.SetAttributeValue("routes", cty.ListValEmpty(cty.String))
		if len(routes) > 0 {
			vb.SetAttributeValue("routes", cty.ListVal(routes))
		}
		vb.SetAttributeValue("keepalive", cty.NumberIntVal(int64(v.Keepalive)))
	}
	if a := s.AutoRegister; a != nil {
		ab := blk.AppendNewBlock("auto_register", nil).Body()
		ab.SetAttributeValue("platform", cty.StringVal(a.Platform))
		ab.SetAttributeValue("port", cty.NumberIntVal(int64(a.Port)))
	}
}

// randomize varies what decides the mode, so every alternative and the
// denials are exercised, and gives each site its own public addresses.
func randomize(r *rand.Rand, s *site.Site, i int) {
	nats := measurement.ClassicNATs
	s.Router.NAT = nats[r.Intn(len(nats))]
	s.Clients.NAT = nats[r.Intn(len(nats))]
	s.Router.Firewall = r.Intn(4) == 0
	s.Router.UPnP = r.Intn(4) == 0
	s.WAN.OperatorNAT = r.Intn(6) == 0
	s.WAN.OperatorRestrictions = r.Intn(8) == 0
	s.WAN.IPv4Fixed = r.Intn(6) != 0
	s.Clients.IPv6 = r.Intn(2) == 0
	if r.Intn(12) == 0 {
		s.Request = plan.ModeDMZ
	} else if r.Intn(3) == 0 {
		s.Request = site.Modes[r.Intn(len(site.Modes))]
	}
	if r.Intn(15) == 0 {
		s.Router.DMZHost = s.Devices[0].IPv4
	}
	// Unique addresses per site: one public IPv4 each, one IPv6 prefix each.
	s.WAN.IPv4 = fmt.Sprintf("%s.%d", []string{"192.0.2", "198.51.100", "203.0.113"}[i/254], 1+i%254)
	s.WAN.IPv6Prefix = fmt.Sprintf("2001:db8:%x::/48", 0x1000+i)
	for d := range s.Devices {
		s.Devices[d].IPv6 = fmt.Sprintf("2001:db8:%x::%x", 0x1000+i, 0x100+d)
	}
}

var (
	exposingRule = regexp.MustCompile(`\b(dnat|accept)\b`)
	onePort      = regexp.MustCompile(`\b(tcp|udp) dport [0-9]+ `)
	anyPortSpec  = regexp.MustCompile(`dport`)
	oneHost      = regexp.MustCompile(`\bip6? daddr [0-9a-f.:]+ `)
	anyDaddr     = regexp.MustCompile(`daddr`)
)

// TestPropertiesRandomSites runs 1,000 random valid sites (two batches of
// 500, so each site can have its own documentation IPv4) and every bundled
// example through the whole pipeline — HCL, loader, policies, every
// applicable alternative's generators, reports — and checks SPEC §8's
// invariants.
func TestPropertiesRandomSites(t *testing.T) {
	ctx := context.Background()
	src, err := policy.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := src.Config()
	if err != nil {
		t.Fatal(err)
	}
	wellKnown := map[int]bool{}
	for _, p := range cfg.WellKnownPorts {
		wellKnown[p] = true
	}
	engine, err := policy.Compile(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	modesSeen := map[string]int{}
	for batch := 0; batch < 2; batch++ {
		r := rand.New(rand.NewSource(int64(batch + 1)))
		dir := t.TempDir()
		f := hclwrite.NewEmptyFile()
		var names []string
		for i := 0; i < 500; i++ {
			s := randsite.Site(r, batch*500+i)
			randomize(r, s, i)
			writeHCL(f.Body(), s)
			names = append(names, s.Name)
		}
		file := filepath.Join(dir, "random.hcl")
		if err := os.WriteFile(file, f.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		keysDir := filepath.Join(dir, "keys")
		if _, err := wgkeys.Generate(keysDir, names); err != nil {
			t.Fatal(err)
		}
		var secrets []string
		for _, n := range names {
			raw, err := os.ReadFile(filepath.Join(keysDir, n+".key"))
			if err != nil {
				t.Fatal(err)
			}
			secrets = append(secrets, strings.TrimSpace(string(raw)))
		}

		p, err := Run(ctx, site.NewLoader(), engine, Options{Paths: []string{file}})
		if err != nil {
			t.Fatalf("batch %d: %v", batch, err)
		}
		files, err := Generate(ctx, p, GenerateOptions{
			AllAlternatives: true, KeysDir: keysDir, WellKnownPorts: cfg.WellKnownPorts, Generators: registry.All(),
		})
		if err != nil {
			t.Fatalf("batch %d: %v", batch, err)
		}
		var reports bytes.Buffer
		for _, format := range report.Formats() {
			w, _ := report.For(format)
			if err := w.Write(&reports, p); err != nil {
				t.Fatal(err)
			}
		}
		checkInvariants(t, p, files, reports.String(), secrets, wellKnown, modesSeen)

		// Same input, same bytes.
		p2, err := Run(ctx, site.NewLoader(), engine, Options{Paths: []string{file}, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		files2, err := Generate(ctx, p2, GenerateOptions{
			AllAlternatives: true, KeysDir: keysDir, WellKnownPorts: cfg.WellKnownPorts, Generators: registry.All(),
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(files2) != len(files) {
			t.Fatalf("second run: %d files, first %d", len(files2), len(files))
		}
		for i := range files {
			if files[i].Path != files2[i].Path || !bytes.Equal(files[i].Data, files2[i].Data) {
				t.Fatalf("second run differs at %s", files[i].Path)
			}
		}
	}
	// The bundled examples hold the same invariants.
	p, err := Run(ctx, site.NewLoader(), engine, Options{Paths: []string{"../../examples"}})
	if err != nil {
		t.Fatal(err)
	}
	files, err := Generate(ctx, p, GenerateOptions{
		AllAlternatives: true, WellKnownPorts: cfg.WellKnownPorts, Generators: registry.All(),
	})
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, p, files, "", nil, wellKnown, map[string]int{})

	// The random sites must exercise every generated mode.
	for _, m := range []string{plan.ModePAT, plan.ModeIPv6, plan.ModeVPN, plan.ModeAutoRegister, plan.ModeExtraRouter} {
		if modesSeen[m] == 0 {
			t.Errorf("no random site generated mode %s", m)
		}
	}
	t.Logf("artifact directories per mode: %v", modesSeen)
}

func checkInvariants(t *testing.T, p *plan.Plan, files []outdir.File, reports string, secrets []string, wellKnown map[int]bool, modesSeen map[string]int) {
	t.Helper()
	for _, secret := range secrets {
		if strings.Contains(reports, secret) {
			t.Fatal("a private key appears in a report")
		}
	}
	denied := map[string]bool{}
	for _, sp := range p.Sites {
		if sp.Denied() {
			denied[sp.Name] = true
			if len(sp.Artifacts) > 0 || len(sp.Exposures) > 0 {
				t.Errorf("denied site %s has artifacts", sp.Name)
			}
		}
		if sp.Chosen == plan.ModeDMZ || sp.Chosen == plan.ModeUPnP {
			t.Errorf("site %s: chosen %s", sp.Name, sp.Chosen)
		}
		seen := map[string]bool{}
		for _, e := range sp.Exposures {
			def := servicePort(sp.Site, e.Device, e.Service)
			if e.ExternalPort == def || e.ExternalPort == e.DevicePort || wellKnown[e.ExternalPort] {
				t.Errorf("site %s %s/%s: external port %d is a default or well-known port", sp.Name, e.Device, e.Service, e.ExternalPort)
			}
			key := fmt.Sprintf("%s/%s/%d", e.PublicAddress, e.Protocol, e.ExternalPort)
			if seen[key] {
				t.Errorf("site %s: external port %s used twice", sp.Name, key)
			}
			seen[key] = true
			if r := sp.Site.WAN.SharedIPv4Ports; e.Mode == plan.ModePAT && r != nil && !r.Contains(e.ExternalPort) {
				t.Errorf("site %s: port %d outside the assigned range %d-%d", sp.Name, e.ExternalPort, r.From, r.To)
			}
		}
	}
	for _, f := range files {
		text := string(f.Data)
		siteName, rest, _ := strings.Cut(f.Path, "/")
		mode, _, _ := strings.Cut(rest, "/")
		modesSeen[mode]++
		if denied[siteName] {
			t.Errorf("%s written for a denied site", f.Path)
		}
		if mode == plan.ModeDMZ || mode == plan.ModeUPnP || mode == plan.ModeP2P {
			t.Errorf("%s: no artifact may exist for mode %s", f.Path, mode)
		}
		if strings.Contains(text, randsite.Marker) {
			t.Errorf("%s: user text leaked into an artifact", f.Path)
		}
		for _, secret := range secrets {
			if strings.Contains(text, secret) {
				t.Fatalf("%s: a private key appears in an artifact", f.Path)
			}
		}
		if strings.HasSuffix(f.Path, "/wg-p2pplan.conf") {
			if f.Mode != 0o600 {
				t.Errorf("%s: mode %v, want 0600 (it loads a private key)", f.Path, f.Mode)
			}
			if !strings.Contains(text, "PostUp = wg set %i private-key /") || strings.Contains(text, "PrivateKey") {
				t.Errorf("%s: the key must be loaded by PostUp from its file", f.Path)
			}
		}
		if strings.HasSuffix(f.Path, ".nft") {
			for _, line := range strings.Split(text, "\n") {
				l := strings.TrimSpace(line)
				if strings.HasPrefix(l, "#") || strings.HasPrefix(l, "type ") || !exposingRule.MatchString(l) ||
					l == "ct state established,related accept" {
					continue
				}
				// Every DNAT and every accept names one destination host,
				// one protocol and one port: no whole host, no subnet, no
				// range, no set of ports (a DMZ can never come out).
				if len(onePort.FindAllString(l, -1)) != 1 || len(anyPortSpec.FindAllString(l, -1)) != 1 {
					t.Errorf("%s: rule does not name exactly one protocol and one port: %s", f.Path, l)
				}
				if len(oneHost.FindAllString(l, -1)) != 1 || len(anyDaddr.FindAllString(l, -1)) != 1 {
					t.Errorf("%s: rule does not name exactly one destination host: %s", f.Path, l)
				}
			}
		}
	}
}

func servicePort(s *site.Site, device, service string) int {
	for _, d := range s.Devices {
		if d.Name != device {
			continue
		}
		for _, sv := range d.Services {
			if sv.Name == service {
				return sv.Port
			}
		}
	}
	return -1
}
