package wireguard

import (
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/p2pplan/p2pplan/internal/lab"
	"github.com/p2pplan/p2pplan/internal/plan"
	"github.com/p2pplan/p2pplan/internal/randsite"
	"github.com/p2pplan/p2pplan/internal/site"
	"github.com/p2pplan/p2pplan/internal/wgkeys"
)

// upLikeWgQuick brings conf up on iface the way `wg-quick up` does, minus
// starting the interface itself (wg-quick would daemonize wireguard-go out
// of the lab's reach): strip, setconf, Address, link up, the PostUp hook
// run by a shell with %i replaced, and a route per AllowedIPs.
func upLikeWgQuick(t *testing.T, ns *lab.NS, iface string, conf []byte) {
	t.Helper()
	dir := t.TempDir()
	stripped := filepath.Join(dir, "stripped.conf")
	if err := os.WriteFile(stripped, []byte(wgQuickStrip(t, t.TempDir(), conf)), 0o600); err != nil {
		t.Fatal(err)
	}
	ns.MustRun("wg", "setconf", iface, stripped)
	var postUp []string
	for _, l := range strings.Split(string(conf), "\n") {
		if v, ok := strings.CutPrefix(l, "Address = "); ok {
			ns.MustRun("ip", "address", "add", v, "dev", iface)
		}
		if v, ok := strings.CutPrefix(l, "PostUp = "); ok {
			postUp = append(postUp, strings.ReplaceAll(v, "%i", iface))
		}
	}
	ns.MustRun("ip", "link", "set", iface, "up")
	for _, cmd := range postUp {
		ns.MustRun("bash", "-c", cmd)
	}
	for _, a := range allowed(string(conf)) {
		if a == "0.0.0.0/0" || a == "::/0" {
			t.Fatalf("this helper does not do wg-quick's full-tunnel policy routing (%s)", a)
		}
		ns.MustRun("ip", "route", "replace", a, "dev", iface)
	}
}

// TestSetconfLab: every config the generator writes is accepted by
// `wg setconf` on a real (userspace) WireGuard interface, and the device
// ends up with exactly the AllowedIPs of the file.
func TestSetconfLab(t *testing.T) {
	lab.Require(t, "wg", "wg-quick", "wireguard-go", "bash")
	l := lab.New(t)
	ns := l.Namespace("wg")
	iface := ns.WireGuardInterface(t)
	dir := t.TempDir()

	plans := []*plan.SitePlan{lyonPlan(), fullTunnelPlan()}
	r := rand.New(rand.NewSource(99))
	for i := 0; i < 20; i++ {
		plans = append(plans, &plan.SitePlan{Site: randsite.Site(r, i), WireGuard: &plan.WireGuardKeys{
			PublicKey: randsite.Key(r).PublicKey().String(), PrivateKeyFile: "/etc/wireguard/x.key"}})
	}
	for _, sp := range plans {
		arts := gen(t, sp)
		for _, a := range arts {
			conf := a.Data
			if strings.HasSuffix(a.Path, ConfigFile) {
				conf = []byte(wgQuickStrip(t, t.TempDir(), a.Data))
			}
			// wg setconf resolves a host name endpoint; the lab has no DNS
			// and must send nothing out, so a name becomes a lab address
			// (same port). The syntax under test is unchanged.
			conf = lab.LabEndpoints(conf, "198.51.100.1")
			p := filepath.Join(dir, "setconf.conf")
			if err := os.WriteFile(p, conf, 0o600); err != nil {
				t.Fatal(err)
			}
			if out, err := ns.Run("wg", "setconf", iface, p); err != nil {
				t.Fatalf("%s: wg setconf refused it: %v\n%s\n%s", a.Path, err, out, a.Data)
			}
			got := strings.Fields(ns.MustRun("wg", "show", iface, "allowed-ips"))
			if len(got) < 1 {
				t.Fatalf("%s: no peer after setconf", a.Path)
			}
			want := allowed(string(a.Data))
			gotIPs := append([]string(nil), got[1:]...)
			sort.Strings(gotIPs)
			sort.Strings(want)
			if strings.Join(gotIPs, " ") != strings.Join(want, " ") {
				t.Fatalf("%s: device has AllowedIPs %v, the file says %v", a.Path, gotIPs, want)
			}
		}
	}
}

// TestTunnelLab builds a hub and a site gateway in two namespaces joined on
// 198.51.100.0/24, brings the generated configs up with keys from wgkeys,
// and pings across the 10.99.0.0/24 tunnel both ways, including a device
// address behind the gateway. An address the hub's peer stanza does not
// list is not reachable: the stanza carries nothing extra.
func TestTunnelLab(t *testing.T) {
	lab.Require(t, "wg", "wg-quick", "wireguard-go", "bash", "ping")
	l := lab.New(t)
	hub, gw := l.Namespace("hub"), l.Namespace("gw")
	l.Link(hub, "eth-hub", []string{"198.51.100.1/24"}, gw, "eth-gw", []string{"198.51.100.2/24"})

	keys := t.TempDir()
	pairs, err := wgkeys.Generate(keys, []string{"hub", "lab-site"})
	if err != nil {
		t.Fatal(err)
	}
	hubPair, sitePair := pairs[0], pairs[1]
	sp := &plan.SitePlan{
		Site: &site.Site{
			Name:    "lab-site",
			Devices: []site.Device{{Name: "nvr", IPv4: "192.168.77.108"}},
			VPN: &site.VPN{Hub: "198.51.100.1:51820", HubPublicKey: hubPair.PublicKey,
				Tunnel: "10.99.0.0/24", Address: "10.99.0.2/24"},
		},
		WireGuard: &plan.WireGuardKeys{PublicKey: sitePair.PublicKey, PrivateKeyFile: sitePair.PrivateKeyFile},
	}
	arts := gen(t, sp)
	gwConf, hubPeer := arts[0].Data, arts[1].Data
	for _, a := range arts {
		raw, _ := os.ReadFile(sitePair.PrivateKeyFile)
		if strings.Contains(string(a.Data), strings.TrimSpace(string(raw))) {
			t.Fatalf("%s holds the private key", a.Path)
		}
	}

	// Hub: listening, its own key, the generated stanza, routes to the site.
	hubIf := hub.WireGuardInterface(t)
	hubConf := filepath.Join(t.TempDir(), "hub.conf")
	if err := os.WriteFile(hubConf, append([]byte("[Interface]\nListenPort = 51820\n\n"), hubPeer...), 0o600); err != nil {
		t.Fatal(err)
	}
	hub.MustRun("wg", "setconf", hubIf, hubConf)
	hub.MustRun("wg", "set", hubIf, "private-key", hubPair.PrivateKeyFile)
	hub.MustRun("ip", "address", "add", "10.99.0.1/24", "dev", hubIf)
	hub.MustRun("ip", "link", "set", hubIf, "up")
	for _, a := range allowed(string(hubPeer)) {
		hub.MustRun("ip", "route", "replace", a, "dev", hubIf)
	}
	hub.MustRun("ip", "route", "replace", "192.168.77.9/32", "dev", hubIf) // not in the stanza

	// Gateway: the generated config, and the device address behind it.
	gwIf := gw.WireGuardInterface(t)
	upLikeWgQuick(t, gw, gwIf, gwConf)
	gw.MustRun("ip", "address", "add", "192.168.77.108/32", "dev", "lo")
	gw.MustRun("ip", "address", "add", "192.168.77.9/32", "dev", "lo")

	// PostUp loaded the key: the interface's public key is the site's.
	if got := strings.TrimSpace(gw.MustRun("wg", "show", gwIf, "public-key")); got != sitePair.PublicKey {
		t.Fatalf("gateway public key %q, want %q (PostUp did not load the key file)", got, sitePair.PublicKey)
	}
	ping := func(ns *lab.NS, to string) error {
		_, err := ns.Run("ping", "-c", "1", "-W", "2", to)
		return err
	}
	if !lab.WaitFor(10*time.Second, func() bool { return ping(gw, "10.99.0.1") == nil }) {
		t.Fatalf("no ping from the gateway to the hub over the tunnel\n%s\n%s", gw.MustRun("wg", "show"), hub.MustRun("wg", "show"))
	}
	if err := ping(hub, "10.99.0.2"); err != nil {
		t.Fatalf("hub to gateway: %v", err)
	}
	if err := ping(hub, "192.168.77.108"); err != nil {
		t.Fatalf("hub to the device behind the gateway: %v", err)
	}
	if err := ping(hub, "192.168.77.9"); err == nil {
		t.Fatal("the hub reached an address its peer stanza does not list")
	}
}
