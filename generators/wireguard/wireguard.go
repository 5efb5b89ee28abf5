// Package wireguard generates the vpn mode (field guide: "VPN"): the site
// gateway dials a WireGuard hub, and the hub reaches the site's devices
// through the tunnel, so nothing is exposed on the site's public address.
//
// Two artifacts per site:
//   - <site>/vpn/wg-p2pplan.conf, the gateway's wg-quick config. It never
//     holds the private key: PostUp loads it from the key file made by
//     `p2pplan keys gen` (SPEC §8). Written 0600 all the same, since it says
//     where the key is and wg-quick warns about readable configs.
//   - <site>/vpn/hub-peer.conf, the [Peer] stanza the hub adds for the site.
//
// AllowedIPs carry exactly what the site asked for and nothing more. On the
// gateway: the tunnel network and vpn.routes (the hub side). On the hub: the
// site's own tunnel address and one host route (/32, or /128 for IPv6) per
// device address. The site model has no LAN subnet, and host routes give the
// hub the devices and not the rest of the customer's LAN (least privilege).
// A route of 0.0.0.0/0 or ::/0 in vpn.routes is generated as asked: policy
// SEC-006 warns about it, the generator does not second-guess the plan.
//
// wg-quick files have no quoting or escaping: a value runs to the end of the
// line and a '#' starts a comment. So every value passes through wgValue,
// which refuses anything outside a strict character set instead of escaping.
package wireguard

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/netip"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/p2pplan/p2pplan/generators"
	"github.com/p2pplan/p2pplan/internal/plan"
	"github.com/p2pplan/p2pplan/internal/site"
)

// Artifact file names, relative to <site>/vpn/.
const (
	ConfigFile  = "wg-p2pplan.conf" // wg-quick derives the interface name from it: wg-p2pplan
	HubPeerFile = "hub-peer.conf"
)

// DefaultKeepalive is used when vpn.keepalive is 0: 25 s keeps the NAT
// binding of the site's router alive (most expire UDP state after 30 s or
// more), the value wg-quick's documentation suggests behind NAT.
const DefaultKeepalive = 25

// Generator is the WireGuard generator.
type Generator struct{}

var _ generators.Generator = Generator{}

// Name implements generators.Generator.
func (Generator) Name() string { return "wireguard" }

// Generate implements generators.Generator for mode vpn; other modes get nil.
// A missing or malformed value (hub, hub key, tunnel, the site's tunnel
// address, its key pair reference) is an error naming the field.
func (Generator) Generate(_ context.Context, sp *plan.SitePlan, mode string) ([]generators.Artifact, error) {
	if mode != plan.ModeVPN {
		return nil, nil
	}
	if sp == nil || sp.Site == nil {
		return nil, fmt.Errorf("wireguard: no site plan")
	}
	c, err := newConfig(sp)
	if err != nil {
		return nil, fmt.Errorf("wireguard: site %s: %w", sp.Site.Name, err)
	}
	dir := path.Join(c.site, plan.ModeVPN)
	return []generators.Artifact{
		{Path: path.Join(dir, ConfigFile), Data: c.gatewayConf(), Mode: 0o600},
		{Path: path.Join(dir, HubPeerFile), Data: c.hubPeer(), Mode: 0o644},
	}, nil
}

// config is the validated, canonical content of both files.
type config struct {
	site           string
	address        netip.Prefix
	privateKeyFile string
	sitePublicKey  string
	hubPublicKey   string
	endpoint       string
	keepalive      int
	gatewayAllowed []netip.Prefix // tunnel + routes
	hubAllowed     []netip.Prefix // site tunnel address + device hosts
}

func newConfig(sp *plan.SitePlan) (*config, error) {
	s := sp.Site
	if !site.ValidName(s.Name) {
		return nil, fmt.Errorf("site name %q is not an identifier", s.Name)
	}
	v := s.VPN
	if v == nil {
		return nil, fmt.Errorf("no vpn block: the hub (vpn.hub, vpn.hub_public_key, vpn.tunnel, vpn.address) is needed")
	}
	c := &config{site: s.Name}
	var err error
	if c.endpoint, err = endpoint(v.Hub); err != nil {
		return nil, err
	}
	if c.hubPublicKey, err = publicKey("vpn.hub_public_key", v.HubPublicKey); err != nil {
		return nil, err
	}
	tunnel, err := netip.ParsePrefix(v.Tunnel)
	if err != nil {
		return nil, fmt.Errorf("vpn.tunnel %q is not a CIDR network", v.Tunnel)
	}
	tunnel = tunnel.Masked()
	if v.Address == "" {
		return nil, fmt.Errorf("vpn.address is not set: the site needs its own address in the tunnel %s", tunnel)
	}
	if c.address, err = netip.ParsePrefix(v.Address); err != nil {
		return nil, fmt.Errorf("vpn.address %q is not an address in CIDR notation", v.Address)
	}
	if !tunnel.Contains(c.address.Addr()) {
		return nil, fmt.Errorf("vpn.address %s is outside vpn.tunnel %s", c.address, tunnel)
	}
	switch {
	case v.Keepalive == 0:
		c.keepalive = DefaultKeepalive
	case v.Keepalive < 0 || v.Keepalive > 65535:
		return nil, fmt.Errorf("vpn.keepalive %d is not between 1 and 65535 seconds", v.Keepalive)
	default:
		c.keepalive = v.Keepalive
	}
	c.gatewayAllowed = []netip.Prefix{tunnel}
	for _, r := range v.Routes {
		p, err := netip.ParsePrefix(r)
		if err != nil {
			return nil, fmt.Errorf("vpn.routes: %q is not a CIDR network", r)
		}
		c.gatewayAllowed = append(c.gatewayAllowed, p.Masked())
	}
	c.gatewayAllowed = dedupe(c.gatewayAllowed)

	if sp.WireGuard == nil {
		return nil, fmt.Errorf("no WireGuard key pair in the plan (run `p2pplan keys gen` for the site)")
	}
	if c.sitePublicKey, err = publicKey("the site's public key", sp.WireGuard.PublicKey); err != nil {
		return nil, err
	}
	if c.privateKeyFile, err = keyFilePath(sp.WireGuard.PrivateKeyFile); err != nil {
		return nil, err
	}

	c.hubAllowed = []netip.Prefix{host(c.address.Addr())}
	for _, d := range sortedDevices(s.Devices) {
		for _, a := range []string{d.IPv4, d.IPv6} {
			if a == "" {
				continue
			}
			ip, err := netip.ParseAddr(a)
			if err != nil {
				return nil, fmt.Errorf("device %s: %q is not an IP address", d.Name, a)
			}
			c.hubAllowed = append(c.hubAllowed, host(ip))
		}
	}
	c.hubAllowed = dedupe(c.hubAllowed)
	return c, nil
}

func (c *config) gatewayConf() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# p2pplan: WireGuard for site %s: this gateway dials the hub.\n", c.site)
	b.WriteString("# The private key is not in this file: PostUp loads it from its key file\n" +
		"# (made by `p2pplan keys gen`). Install as /etc/wireguard/" + ConfigFile + ",\n" +
		"# then run: wg-quick up " + strings.TrimSuffix(ConfigFile, ".conf") + "\n")
	b.WriteString("[Interface]\n")
	line(&b, "Address", c.address.String())
	line(&b, "PostUp", "wg set %i private-key "+c.privateKeyFile)
	b.WriteString("\n[Peer]\n# the hub\n")
	line(&b, "PublicKey", c.hubPublicKey)
	line(&b, "Endpoint", c.endpoint)
	line(&b, "AllowedIPs", joinPrefixes(c.gatewayAllowed))
	line(&b, "PersistentKeepalive", strconv.Itoa(c.keepalive))
	return b.Bytes()
}

func (c *config) hubPeer() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# p2pplan: the hub's peer for site %s. Add it to the hub's WireGuard\n", c.site)
	b.WriteString("# config (or load it with `wg addconf`). AllowedIPs: the site's tunnel address\n" +
		"# and one host route per device, nothing more. They must not overlap another\n" +
		"# peer's: sites with the same LAN addresses need distinct ones, or NAT.\n")
	b.WriteString("[Peer]\n")
	line(&b, "PublicKey", c.sitePublicKey)
	line(&b, "AllowedIPs", joinPrefixes(c.hubAllowed))
	return b.Bytes()
}

// line writes one "Key = value" line. Every value was built from parsed
// addresses, keys and numbers or checked by wgValue; the panic is a guard
// against a future caller that forgets.
func line(b *bytes.Buffer, key, value string) {
	if err := wgValue(value); err != nil {
		panic("wireguard: unchecked value for " + key + ": " + err.Error())
	}
	fmt.Fprintf(b, "%s = %s\n", key, value)
}

// wgSafe is everything a value of ours may contain: base64 keys, addresses,
// CIDRs, host names, ports, comma lists, absolute paths, and the `%i` and
// spaces of the PostUp command. No '#', quote, '$', ';', '\', '`' or line
// break: nothing that ends a value, starts a comment or means something to
// the shell wg-quick runs PostUp with.
var wgSafe = regexp.MustCompile(`^[A-Za-z0-9 ._:/,+=\[\]%-]*$`)

// wgValue is the one check every value of a WireGuard config passes.
func wgValue(v string) error {
	if !wgSafe.MatchString(v) {
		return fmt.Errorf("%q holds a character a WireGuard config cannot carry", v)
	}
	return nil
}

// keyFilePath accepts an absolute, clean path of safe characters: PostUp is
// run by a shell, from wherever wg-quick was started.
var keyPathRe = regexp.MustCompile(`^(/[A-Za-z0-9._+-]+)+$`)

func keyFilePath(p string) (string, error) {
	switch {
	case p == "":
		return "", fmt.Errorf("no private key file: the plan must say where the gateway keeps the key")
	case !keyPathRe.MatchString(p) || path.Clean(p) != p:
		return "", fmt.Errorf("private key file %q must be an absolute, clean path of letters, digits and . _ + - (it is run by the PostUp shell)", p)
	}
	return p, nil
}

var hostnameRe = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?$`)

// endpoint validates vpn.hub as host:port (an IPv6 host in brackets).
func endpoint(hub string) (string, error) {
	if hub == "" {
		return "", fmt.Errorf("vpn.hub is not set: the hub's host:port is needed")
	}
	h, p, err := net.SplitHostPort(hub)
	if err != nil {
		return "", fmt.Errorf("vpn.hub %q is not host:port", hub)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 1 || port > 65535 {
		return "", fmt.Errorf("vpn.hub %q: the port must be between 1 and 65535", hub)
	}
	if ip, err := netip.ParseAddr(h); err == nil {
		if ip.Zone() != "" {
			return "", fmt.Errorf("vpn.hub %q: a zoned address cannot be reached from a site", hub)
		}
		return netip.AddrPortFrom(ip, uint16(port)).String(), nil
	}
	if len(h) > 253 || !hostnameRe.MatchString(h) {
		return "", fmt.Errorf("vpn.hub %q: %q is not an IP address or a host name", hub, h)
	}
	return net.JoinHostPort(h, strconv.Itoa(port)), nil
}

func publicKey(field, v string) (string, error) {
	if v == "" {
		return "", fmt.Errorf("%s is not set", field)
	}
	k, err := wgtypes.ParseKey(v)
	if err != nil {
		return "", fmt.Errorf("%s is not a WireGuard key (base64 of 32 bytes)", field)
	}
	return k.String(), nil
}

func host(a netip.Addr) netip.Prefix { return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()) }

// dedupe keeps the first occurrence of each prefix, preserving order: the
// order is the site's, which is deterministic.
func dedupe(ps []netip.Prefix) []netip.Prefix {
	seen := map[netip.Prefix]bool{}
	out := ps[:0:0]
	for _, p := range ps {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

func joinPrefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}

func sortedDevices(ds []site.Device) []site.Device {
	out := append([]site.Device(nil), ds...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
