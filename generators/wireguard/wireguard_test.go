package wireguard

import (
	"context"
	"math/rand"
	"net/netip"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/p2pplan/p2pplan/generators"
	"github.com/p2pplan/p2pplan/internal/golden"
	"github.com/p2pplan/p2pplan/internal/lab"
	"github.com/p2pplan/p2pplan/internal/plan"
	"github.com/p2pplan/p2pplan/internal/randsite"
	"github.com/p2pplan/p2pplan/internal/site"
)

// Test keys, fixed so golden files hold. Public halves only reach the files.
var (
	hubKey  = randsite.Key(rand.New(rand.NewSource(1)))
	siteKey = randsite.Key(rand.New(rand.NewSource(2)))
)

func lyonPlan() *plan.SitePlan {
	s := &site.Site{
		Name:        "lyon-pharmacy",
		Description: "Pharmacy\n[Peer]\nAllowedIPs = 0.0.0.0/0 # \"quoted\"; }",
		Devices: []site.Device{
			{Name: "nvr", Description: "PostUp = rm -rf /", IPv4: "192.168.1.108", IPv6: "2001:db8:20::108"},
			{Name: "cam1", IPv4: "192.168.1.64"},
		},
		VPN: &site.VPN{
			Hub: "vpn.example.net:51820", HubPublicKey: hubKey.PublicKey().String(),
			Tunnel: "10.99.0.0/24", Address: "10.99.0.2/32",
			Routes: []string{"10.99.0.0/24", "172.16.5.0/24"},
		},
	}
	return &plan.SitePlan{Site: s, WireGuard: &plan.WireGuardKeys{
		PublicKey: siteKey.PublicKey().String(), PrivateKeyFile: "/etc/wireguard/lyon-pharmacy.key"}}
}

func fullTunnelPlan() *plan.SitePlan {
	sp := lyonPlan()
	sp.Site.Name = "full-tunnel"
	sp.Site.VPN.Hub = "[2001:db8::1]:51820"
	sp.Site.VPN.Address = "10.99.0.7/24"
	sp.Site.VPN.Routes = []string{"0.0.0.0/0", "::/0"}
	sp.Site.VPN.Keepalive = 15
	sp.WireGuard.PrivateKeyFile = "/etc/wireguard/full-tunnel.key"
	return sp
}

func gen(t testing.TB, sp *plan.SitePlan) []generators.Artifact {
	t.Helper()
	arts, err := Generator{}.Generate(context.Background(), sp, plan.ModeVPN)
	if err != nil {
		t.Fatal(err)
	}
	return arts
}

func TestGolden(t *testing.T) {
	for _, sp := range []*plan.SitePlan{lyonPlan(), fullTunnelPlan()} {
		arts := gen(t, sp)
		if len(arts) != 2 {
			t.Fatalf("%d artifacts", len(arts))
		}
		want := map[string]os.FileMode{
			sp.Site.Name + "/vpn/wg-p2pplan.conf": 0o600,
			sp.Site.Name + "/vpn/hub-peer.conf":   0o644,
		}
		for _, a := range arts {
			if m, ok := want[a.Path]; !ok || a.Mode != m || a.Sensitive {
				t.Errorf("%s: mode %o sensitive %v", a.Path, a.Mode, a.Sensitive)
			}
			golden.Testdata(t, a.Path+".golden", a.Data)
		}
	}
}

func TestOtherModes(t *testing.T) {
	for _, m := range []string{plan.ModePAT, plan.ModeIPv6, plan.ModeDMZ, plan.ModeUPnP, plan.ModeAutoRegister, plan.ModeExtraRouter, plan.ModeP2P} {
		if arts, err := (Generator{}).Generate(context.Background(), lyonPlan(), m); arts != nil || err != nil {
			t.Errorf("mode %s: %v %v", m, arts, err)
		}
	}
}

func TestRefusals(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*plan.SitePlan)
		match string
	}{
		{"no vpn", func(sp *plan.SitePlan) { sp.Site.VPN = nil }, "no vpn block"},
		{"no hub", func(sp *plan.SitePlan) { sp.Site.VPN.Hub = "" }, "vpn.hub is not set"},
		{"hub without port", func(sp *plan.SitePlan) { sp.Site.VPN.Hub = "vpn.example.net" }, "not host:port"},
		{"hub port zero", func(sp *plan.SitePlan) { sp.Site.VPN.Hub = "vpn.example.net:0" }, "port must be"},
		{"hub injection", func(sp *plan.SitePlan) { sp.Site.VPN.Hub = "vpn.example.net#x:51820" }, "not an IP address or a host name"},
		{"hub newline", func(sp *plan.SitePlan) { sp.Site.VPN.Hub = "a\nPostUp=id:1" }, "vpn.hub"},
		{"no hub key", func(sp *plan.SitePlan) { sp.Site.VPN.HubPublicKey = "" }, "hub_public_key is not set"},
		{"bad hub key", func(sp *plan.SitePlan) { sp.Site.VPN.HubPublicKey = "base64 key" }, "not a WireGuard key"},
		{"no tunnel", func(sp *plan.SitePlan) { sp.Site.VPN.Tunnel = "" }, "vpn.tunnel"},
		{"no address", func(sp *plan.SitePlan) { sp.Site.VPN.Address = "" }, "vpn.address is not set"},
		{"address outside tunnel", func(sp *plan.SitePlan) { sp.Site.VPN.Address = "10.98.0.2/32" }, "outside vpn.tunnel"},
		{"bad route", func(sp *plan.SitePlan) { sp.Site.VPN.Routes = []string{"10.0.0.0/8 # x"} }, "vpn.routes"},
		{"negative keepalive", func(sp *plan.SitePlan) { sp.Site.VPN.Keepalive = -1 }, "keepalive"},
		{"no key pair", func(sp *plan.SitePlan) { sp.WireGuard = nil }, "keys gen"},
		{"bad site key", func(sp *plan.SitePlan) { sp.WireGuard.PublicKey = "x" }, "site's public key"},
		{"no key file", func(sp *plan.SitePlan) { sp.WireGuard.PrivateKeyFile = "" }, "no private key file"},
		{"relative key file", func(sp *plan.SitePlan) { sp.WireGuard.PrivateKeyFile = "keys/lyon.key" }, "absolute"},
		{"key file shell", func(sp *plan.SitePlan) { sp.WireGuard.PrivateKeyFile = "/k; rm -rf /" }, "absolute"},
		{"key file comment", func(sp *plan.SitePlan) { sp.WireGuard.PrivateKeyFile = "/etc/wg#x.key" }, "absolute"},
		{"key file dotdot", func(sp *plan.SitePlan) { sp.WireGuard.PrivateKeyFile = "/etc/../x.key" }, "absolute"},
		{"bad device", func(sp *plan.SitePlan) { sp.Site.Devices[0].IPv4 = "192.168.1.1/24" }, "not an IP address"},
		{"bad site name", func(sp *plan.SitePlan) { sp.Site.Name = "../x" }, "not an identifier"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sp := lyonPlan()
			tc.edit(sp)
			_, err := Generator{}.Generate(context.Background(), sp, plan.ModeVPN)
			if err == nil || !strings.Contains(err.Error(), tc.match) {
				t.Fatalf("err = %v, want one containing %q", err, tc.match)
			}
		})
	}
}

func TestWgValue(t *testing.T) {
	for _, ok := range []string{"10.0.0.1/32, ::/0", "wg set %i private-key /etc/wireguard/a.key", "[2001:db8::1]:51820", "abc+/=="} {
		if err := wgValue(ok); err != nil {
			t.Errorf("wgValue(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"a#b", "a\nb", "a\rb", `a"b`, "a'b", "a;b", "a$b", "a`b", `a\b`, "a}b", "é", "a\x00"} {
		if err := wgValue(bad); err == nil {
			t.Errorf("wgValue(%q) accepted", bad)
		}
	}
}

var lineRe = regexp.MustCompile(`^(|#.*|\[Interface\]|\[Peer\]|(Address|PostUp|PublicKey|Endpoint|AllowedIPs|PersistentKeepalive) = [A-Za-z0-9 ._:/,+=\[\]%-]+)$`)

// TestProperties: over 1,000 random valid sites, the configs carry exactly
// the asked AllowedIPs, never a private key, never user text, and are
// byte-identical across runs.
func TestProperties(t *testing.T) {
	r := rand.New(rand.NewSource(20261125))
	stripDir := t.TempDir()
	_, lookErr := exec.LookPath("wg-quick")
	haveWgQuick := lookErr == nil
	for i := 0; i < 1000; i++ {
		s := randsite.Site(r, i)
		priv := randsite.Key(r)
		sp := &plan.SitePlan{Site: s, WireGuard: &plan.WireGuardKeys{
			PublicKey: priv.PublicKey().String(), PrivateKeyFile: "/etc/wireguard/" + s.Name + ".key"}}
		arts := gen(t, sp)
		if again := gen(t, sp); !reflect.DeepEqual(arts, again) {
			t.Fatalf("site %d: not deterministic", i)
		}
		conf, peer := string(arts[0].Data), string(arts[1].Data)
		for _, a := range arts {
			d := string(a.Data)
			if strings.Contains(d, randsite.Marker) || strings.Contains(d, priv.String()) || strings.Contains(d, "PrivateKey") {
				t.Fatalf("site %d: %s carries user text or a private key:\n%s", i, a.Path, d)
			}
			for _, l := range strings.Split(strings.TrimSuffix(d, "\n"), "\n") {
				if !lineRe.MatchString(l) {
					t.Fatalf("site %d: %s: unexpected line %q", i, a.Path, l)
				}
			}
		}
		// Gateway: exactly tunnel + routes.
		want := []string{"10.99.0.0/24"}
		for _, rt := range s.VPN.Routes {
			if p := netip.MustParsePrefix(rt).Masked().String(); !contains(want, p) {
				want = append(want, p)
			}
		}
		if got := allowed(conf); !reflect.DeepEqual(got, want) {
			t.Fatalf("site %d: gateway AllowedIPs %v, want %v", i, got, want)
		}
		// Hub: exactly the site's tunnel address and each device address.
		hub := allowed(peer)
		if hub[0] != netip.MustParsePrefix(s.VPN.Address).Addr().String()+"/32" {
			t.Fatalf("site %d: hub AllowedIPs start with %s", i, hub[0])
		}
		n := 1
		for _, d := range s.Devices {
			for _, a := range []string{d.IPv4, d.IPv6} {
				if a != "" {
					n++
					if !contains(hub, netip.PrefixFrom(netip.MustParseAddr(a), netip.MustParseAddr(a).BitLen()).String()) {
						t.Fatalf("site %d: device address %s missing from %v", i, a, hub)
					}
				}
			}
		}
		if len(hub) != n {
			t.Fatalf("site %d: hub AllowedIPs %v has extra entries", i, hub)
		}
		if !strings.Contains(conf, "PostUp = wg set %i private-key /etc/wireguard/"+s.Name+".key\n") {
			t.Fatalf("site %d: no PostUp loading the key:\n%s", i, conf)
		}
		if haveWgQuick && i%20 == 0 {
			wgQuickStrip(t, stripDir, arts[0].Data)
		}
	}
}

func allowed(conf string) []string {
	for _, l := range strings.Split(conf, "\n") {
		if v, ok := strings.CutPrefix(l, "AllowedIPs = "); ok {
			return strings.Split(v, ", ")
		}
	}
	return nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// wgQuickStrip runs `wg-quick strip` on a gateway config and returns what
// `wg setconf` would get. wg-quick insists on a file named after a valid
// interface, hence the fixed name in a fresh directory.
func wgQuickStrip(t testing.TB, dir string, conf []byte) string {
	t.Helper()
	s, err := lab.WgQuickStrip(dir, ConfigFile, conf)
	if err != nil {
		t.Fatalf("%v\n%s", err, conf)
	}
	if regexp.MustCompile(`(?m)^\s*(PostUp|Address)`).MatchString(s) || !strings.Contains(s, "[Peer]") {
		t.Fatalf("wg-quick strip output unexpected:\n%s", s)
	}
	return s
}

func TestWgQuickStrip(t *testing.T) {
	if _, err := exec.LookPath("wg-quick"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("wg-quick is missing (wireguard-tools)")
		}
		t.Skip("wg-quick is missing (wireguard-tools)")
	}
	for _, sp := range []*plan.SitePlan{lyonPlan(), fullTunnelPlan()} {
		wgQuickStrip(t, t.TempDir(), gen(t, sp)[0].Data)
	}
}
