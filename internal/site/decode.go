package site

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/dynblock"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/gocty"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/p2pplan/p2pplan/internal/measurement"
)

// ValidName reports whether name follows SPEC §3's identifier rule; every
// package that takes a site, device or service name checks it with this.
func ValidName(name string) bool { return nameRE.MatchString(name) }

// nameRE is the identifier rule of SPEC §3: names end up in file names,
// nftables comments and WireGuard files.
var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

var (
	siteSchema = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{
			{Name: "description"},
			{Name: "profile", Required: true},
			{Name: "online"},
			{Name: "request"},
			{Name: "measurement"},
			{Name: "for_each"}, // expanded before decoding (foreach.go)
		},
		Blocks: []hcl.BlockHeaderSchema{
			{Type: "wan"}, {Type: "router"}, {Type: "clients"}, {Type: "vpn"}, {Type: "auto_register"},
			{Type: "device", LabelNames: []string{"name"}},
		},
	}
	wanSchema = attrSchema("ipv4", "ipv4_fixed", "operator_nat", "shared_ipv4_ports",
		"operator_restrictions", "ipv6_prefix", "ipv6_fixed")
	routerSchema  = attrSchema("firewall", "upnp", "dmz_host", "nat")
	clientsSchema = attrSchema("nat", "ipv6", "sources")
	vpnSchema     = attrSchema("hub", "hub_public_key", "tunnel", "address", "routes", "keepalive")
	autoRegSchema = attrSchema("platform", "port")
	deviceSchema  = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "description"}, {Name: "ipv4"}, {Name: "ipv6"}},
		Blocks:     []hcl.BlockHeaderSchema{{Type: "service", LabelNames: []string{"name"}}},
	}
	serviceSchema = &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{
			{Name: "protocol", Required: true},
			{Name: "port", Required: true},
			{Name: "external_port"},
		},
	}
)

func attrSchema(names ...string) *hcl.BodySchema {
	s := &hcl.BodySchema{}
	for _, n := range names {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: n})
	}
	return s
}

// decoder turns one site block into a Site, collecting every problem as a
// diagnostic that names the field and points at its source.
type decoder struct {
	ctx   *hcl.EvalContext
	diags hcl.Diagnostics
	site  *Site
}

func (d *decoder) errorf(rng hcl.Range, summary, format string, args ...any) {
	d.diags = append(d.diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  rng.Ptr(),
	})
}

func (d *decoder) record(field string, rng hcl.Range) {
	d.site.setSource(field, Source{File: rng.Filename, Line: rng.Start.Line, Column: rng.Start.Column})
}

// value evaluates attr as type ty. ok is false when the attribute is null
// (treated as absent) or invalid (a diagnostic was added).
func (d *decoder) value(attr *hcl.Attribute, field string, ty cty.Type) (cty.Value, bool) {
	d.record(field, attr.Range)
	v, diags := attr.Expr.Value(d.ctx)
	d.diags = append(d.diags, diags...)
	if diags.HasErrors() || v.IsNull() {
		return cty.NilVal, false
	}
	if !v.IsWhollyKnown() {
		d.errorf(attr.Expr.Range(), "Unknown value", "The value of %s cannot be known when the file is loaded.", field)
		return cty.NilVal, false
	}
	cv, err := convert.Convert(v, ty)
	if err != nil {
		d.errorf(attr.Expr.Range(), "Incorrect attribute value type",
			"Inappropriate value for %s: %s is required.", field, ty.FriendlyNameForConstraint())
		return cty.NilVal, false
	}
	return cv, true
}

func (d *decoder) str(attrs hcl.Attributes, name, field string, dst *string, check func(string) error) {
	attr, ok := attrs[name]
	if !ok {
		return
	}
	v, ok := d.value(attr, field, cty.String)
	if !ok {
		return
	}
	s := v.AsString()
	if check != nil {
		if err := check(s); err != nil {
			d.errorf(attr.Expr.Range(), "Invalid value for "+field, "The value %q of %s is invalid: %s.", s, field, err)
			return
		}
	}
	*dst = s
}

func (d *decoder) boolean(attrs hcl.Attributes, name, field string, dst *bool) {
	attr, ok := attrs[name]
	if !ok {
		return
	}
	if v, ok := d.value(attr, field, cty.Bool); ok {
		*dst = v.True()
	}
}

// integer decodes a whole number within [min, max].
func (d *decoder) integer(attrs hcl.Attributes, name, field string, dst *int, min, max int) {
	attr, ok := attrs[name]
	if !ok {
		return
	}
	v, ok := d.value(attr, field, cty.Number)
	if !ok {
		return
	}
	var n int
	if err := gocty.FromCtyValue(v, &n); err != nil || n < min || n > max {
		d.errorf(attr.Expr.Range(), "Invalid value for "+field,
			"The value %s of %s must be a whole number from %d to %d.", v.AsBigFloat().Text('f', -1), field, min, max)
		return
	}
	*dst = n
}

func (d *decoder) port(attrs hcl.Attributes, name, field string, dst *int) {
	d.integer(attrs, name, field, dst, 1, 65535)
}

func (d *decoder) strList(attrs hcl.Attributes, name, field string, dst *[]string, check func(string) error) {
	attr, ok := attrs[name]
	if !ok {
		return
	}
	v, ok := d.value(attr, field, cty.List(cty.String))
	if !ok {
		return
	}
	out := []string{}
	for i, el := range v.AsValueSlice() {
		if el.IsNull() {
			d.errorf(attr.Expr.Range(), "Invalid value for "+field, "Element %d of %s is null.", i, field)
			return
		}
		s := el.AsString()
		if check != nil {
			if err := check(s); err != nil {
				d.errorf(attr.Expr.Range(), "Invalid value for "+field, "Element %d (%q) of %s is invalid: %s.", i, s, field, err)
				return
			}
		}
		out = append(out, s)
	}
	*dst = out
}

// singleBlocks returns the blocks of each type, refusing repeats of blocks
// that may appear once.
func (d *decoder) singleBlocks(blocks hcl.Blocks, once ...string) map[string]*hcl.Block {
	out := map[string]*hcl.Block{}
	for _, blk := range blocks {
		for _, t := range once {
			if blk.Type != t {
				continue
			}
			if prev, dup := out[t]; dup {
				d.errorf(blk.DefRange, "Duplicate "+t+" block",
					"Only one %s block is allowed in a site; the first is at %s.", t, prev.DefRange)
				continue
			}
			out[t] = blk
		}
	}
	return out
}

func (d *decoder) label(blk *hcl.Block, kind string) (string, bool) {
	return d.name(blk, blk.Labels[0], kind)
}

// name checks a block's name (its label, or a for_each site's generated
// name), reporting at the label.
func (d *decoder) name(blk *hcl.Block, name, kind string) (string, bool) {
	if !ValidName(name) {
		d.errorf(blk.LabelRanges[0], "Invalid "+kind+" name",
			"The %s name %q is not an identifier: use 1 to 63 characters from a-z, 0-9, '_' and '-', starting with a letter or digit.", kind, name)
		return name, false
	}
	return name, true
}

// decodeSite decodes one site of a `site` block (the block, or one for_each
// instance named name). The caller checks names across sites.
func decodeSite(blk *hcl.Block, name string, ctx *hcl.EvalContext) (*Site, hcl.Diagnostics) {
	d := &decoder{ctx: ctx, site: &Site{File: blk.DefRange.Filename}}
	s := d.site
	s.Name, _ = d.name(blk, name, "site")
	d.record("", blk.DefRange)
	s.Router.NAT = measurement.Unknown
	s.Clients.NAT = measurement.Unknown
	s.Clients.Sources = []string{"0.0.0.0/0", "::/0"}
	s.Devices = []Device{}

	content, diags := dynblock.Expand(blk.Body, ctx).Content(siteSchema)
	d.diags = append(d.diags, diags...)
	if content == nil {
		return s, d.diags
	}
	a := content.Attributes
	d.str(a, "description", "description", &s.Description, nil)
	d.str(a, "profile", "profile", &s.Profile, oneOf(Profiles))
	d.boolean(a, "online", "online", &s.Online)
	d.str(a, "request", "request", &s.Request, oneOf(Modes))
	var mfile string
	d.str(a, "measurement", "measurement", &mfile, nil)
	if mfile != "" {
		d.loadMeasurement(a["measurement"], mfile)
	}

	single := d.singleBlocks(content.Blocks, "wan", "router", "clients", "vpn", "auto_register")
	if blk := single["wan"]; blk != nil {
		d.wan(blk)
	}
	if blk := single["router"]; blk != nil {
		d.router(blk)
	}
	if blk := single["clients"]; blk != nil {
		d.clients(blk)
	}
	if blk := single["vpn"]; blk != nil {
		d.vpn(blk)
	}
	if blk := single["auto_register"]; blk != nil {
		d.autoRegister(blk)
	}
	seen := map[string]hcl.Range{}
	for _, blk := range content.Blocks {
		if blk.Type != "device" {
			continue
		}
		name, ok := d.label(blk, "device")
		if prev, dup := seen[name]; dup {
			d.errorf(blk.LabelRanges[0], "Duplicate device name",
				"Site %q already has a device named %q at %s.", s.Name, name, prev)
			continue
		}
		seen[name] = blk.DefRange
		if ok {
			s.Devices = append(s.Devices, d.device(blk, name))
		}
	}
	return s, d.diags
}

func (d *decoder) body(blk *hcl.Block, schema *hcl.BodySchema, field string) *hcl.BodyContent {
	d.record(field, blk.DefRange)
	content, diags := blk.Body.Content(schema)
	d.diags = append(d.diags, diags...)
	return content
}

func (d *decoder) wan(blk *hcl.Block) {
	c := d.body(blk, wanSchema, "wan")
	w, a := &d.site.WAN, c.Attributes
	d.str(a, "ipv4", "wan.ipv4", &w.IPv4, isIPv4)
	d.boolean(a, "ipv4_fixed", "wan.ipv4_fixed", &w.IPv4Fixed)
	d.boolean(a, "operator_nat", "wan.operator_nat", &w.OperatorNAT)
	var ports string
	d.str(a, "shared_ipv4_ports", "wan.shared_ipv4_ports", &ports, func(s string) error {
		r, err := parsePortRange(s)
		w.SharedIPv4Ports = r
		return err
	})
	d.boolean(a, "operator_restrictions", "wan.operator_restrictions", &w.OperatorRestrictions)
	d.str(a, "ipv6_prefix", "wan.ipv6_prefix", &w.IPv6Prefix, isIPv6Prefix)
	d.boolean(a, "ipv6_fixed", "wan.ipv6_fixed", &w.IPv6Fixed)
}

func (d *decoder) router(blk *hcl.Block) {
	c := d.body(blk, routerSchema, "router")
	r, a := &d.site.Router, c.Attributes
	d.boolean(a, "firewall", "router.firewall", &r.Firewall)
	d.boolean(a, "upnp", "router.upnp", &r.UPnP)
	d.str(a, "dmz_host", "router.dmz_host", &r.DMZHost, isAddrOrEmpty)
	d.str(a, "nat", "router.nat", &r.NAT, oneOf(natNames))
}

func (d *decoder) clients(blk *hcl.Block) {
	c := d.body(blk, clientsSchema, "clients")
	cl, a := &d.site.Clients, c.Attributes
	d.str(a, "nat", "clients.nat", &cl.NAT, oneOf(natNames))
	d.boolean(a, "ipv6", "clients.ipv6", &cl.IPv6)
	d.strList(a, "sources", "clients.sources", &cl.Sources, isPrefix)
}

func (d *decoder) vpn(blk *hcl.Block) {
	c := d.body(blk, vpnSchema, "vpn")
	v, a := &VPN{Routes: []string{}, Keepalive: 25}, c.Attributes
	d.site.VPN = v
	d.str(a, "hub", "vpn.hub", &v.Hub, isHostPort)
	d.str(a, "hub_public_key", "vpn.hub_public_key", &v.HubPublicKey, isWireGuardKey)
	d.str(a, "tunnel", "vpn.tunnel", &v.Tunnel, isPrefix)
	d.str(a, "address", "vpn.address", &v.Address, isInterfaceAddr)
	d.strList(a, "routes", "vpn.routes", &v.Routes, isPrefix)
	// RFC-free but practical: WireGuard's own maximum keepalive is 65535 s.
	d.integer(a, "keepalive", "vpn.keepalive", &v.Keepalive, 0, 65535)
	if v.Tunnel != "" && v.Address != "" {
		tun, addr := netip.MustParsePrefix(v.Tunnel), netip.MustParsePrefix(v.Address)
		if !tun.Contains(addr.Addr()) {
			d.errorf(a["address"].Expr.Range(), "Invalid value for vpn.address",
				"The site's tunnel address %s is not inside vpn.tunnel %s.", v.Address, v.Tunnel)
		}
	}
}

func (d *decoder) autoRegister(blk *hcl.Block) {
	c := d.body(blk, autoRegSchema, "auto_register")
	ar, a := &AutoRegister{}, c.Attributes
	d.site.AutoRegister = ar
	d.str(a, "platform", "auto_register.platform", &ar.Platform, isHost)
	d.port(a, "port", "auto_register.port", &ar.Port)
}

func (d *decoder) device(blk *hcl.Block, name string) Device {
	field := "device." + name
	c := d.body(blk, deviceSchema, field)
	dev, a := Device{Name: name, Services: []Service{}}, c.Attributes
	d.str(a, "description", field+".description", &dev.Description, nil)
	d.str(a, "ipv4", field+".ipv4", &dev.IPv4, isIPv4)
	d.str(a, "ipv6", field+".ipv6", &dev.IPv6, isIPv6)
	seen := map[string]hcl.Range{}
	for _, sblk := range c.Blocks {
		sname, ok := d.label(sblk, "service")
		if prev, dup := seen[sname]; dup {
			d.errorf(sblk.LabelRanges[0], "Duplicate service name",
				"Device %q already has a service named %q at %s.", name, sname, prev)
			continue
		}
		seen[sname] = sblk.DefRange
		if !ok {
			continue
		}
		sfield := field + ".service." + sname
		sc := d.body(sblk, serviceSchema, sfield)
		svc := Service{Name: sname}
		d.str(sc.Attributes, "protocol", sfield+".protocol", &svc.Protocol, oneOf([]string{"tcp", "udp"}))
		d.port(sc.Attributes, "port", sfield+".port", &svc.Port)
		d.port(sc.Attributes, "external_port", sfield+".external_port", &svc.ExternalPort)
		dev.Services = append(dev.Services, svc)
	}
	return dev
}

func (d *decoder) loadMeasurement(attr *hcl.Attribute, file string) {
	path := file
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(d.site.File), file)
	}
	m, err := measurement.Load(path)
	if err != nil {
		d.errorf(attr.Expr.Range(), "Invalid measurement", "The measurement file of site %q cannot be used: %s.", d.site.Name, err)
		return
	}
	d.site.MeasurementFile = path
	d.site.Measurement = m
}

var natNames = append(append([]string{}, measurement.ClassicNATs...), measurement.Unknown)

func oneOf(allowed []string) func(string) error {
	return func(s string) error {
		for _, a := range allowed {
			if s == a {
				return nil
			}
		}
		return fmt.Errorf("must be one of %s", strings.Join(allowed, ", "))
	}
}

func isIPv4(s string) error {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return fmt.Errorf("not an IPv4 address")
	}
	return nil
}

func isIPv6(s string) error {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is6() || a.Is4In6() || a.Zone() != "" {
		return fmt.Errorf("not an IPv6 address")
	}
	return nil
}

func isAddrOrEmpty(s string) error {
	if s == "" {
		return nil
	}
	if _, err := netip.ParseAddr(s); err != nil {
		return fmt.Errorf("not an IP address")
	}
	return nil
}

// isPrefix accepts a CIDR with no host bits set, so the written value is
// exactly the network it denotes.
func isPrefix(s string) error {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return fmt.Errorf("not a CIDR prefix such as 192.0.2.0/24")
	}
	if p.Addr().Is4In6() || p.Addr().Zone() != "" {
		return fmt.Errorf("not a plain IPv4 or IPv6 prefix")
	}
	if p.Masked() != p {
		return fmt.Errorf("host bits are set; the network is %s", p.Masked())
	}
	return nil
}

// isInterfaceAddr accepts an address with its prefix length, as wg-quick's
// Address (host bits allowed: 10.99.0.2/24).
func isInterfaceAddr(s string) error {
	p, err := netip.ParsePrefix(s)
	if err != nil || p.Addr().Is4In6() || p.Addr().Zone() != "" {
		return fmt.Errorf("not an address with prefix length such as 10.99.0.2/32")
	}
	return nil
}

func isIPv6Prefix(s string) error {
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is6() || p.Addr().Is4In6() {
		return fmt.Errorf("not an IPv6 prefix such as 2001:db8:20::/56")
	}
	if p.Masked() != p {
		return fmt.Errorf("host bits are set; the prefix is %s", p.Masked())
	}
	return nil
}

func parsePortRange(s string) (*PortRange, error) {
	from, to, ok := strings.Cut(s, "-")
	a, errA := strconv.Atoi(from)
	b, errB := strconv.Atoi(to)
	if !ok || errA != nil || errB != nil {
		return nil, fmt.Errorf("not a port range such as 16384-32767")
	}
	if a < 1 || b > 65535 || a > b {
		return nil, fmt.Errorf("ports must satisfy 1 <= first <= last <= 65535")
	}
	return &PortRange{From: a, To: b}, nil
}

var hostRE = regexp.MustCompile(`^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)*[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$`)

// isHost accepts an IP address or a DNS name (RFC 1123 labels).
func isHost(s string) error {
	if _, err := netip.ParseAddr(s); err == nil {
		return nil
	}
	if len(s) > 253 || !hostRE.MatchString(s) {
		return fmt.Errorf("not an IP address or a host name")
	}
	return nil
}

func isHostPort(s string) error {
	host, port, err := splitHostPort(s)
	if err != nil {
		return err
	}
	if err := isHost(host); err != nil {
		return err
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("the port must be from 1 to 65535")
	}
	return nil
}

func splitHostPort(s string) (string, string, error) {
	if strings.HasPrefix(s, "[") {
		end := strings.Index(s, "]:")
		if end < 0 {
			return "", "", fmt.Errorf("not host:port")
		}
		return s[1:end], s[end+2:], nil
	}
	i := strings.LastIndex(s, ":")
	if i < 0 || strings.Count(s, ":") > 1 {
		return "", "", fmt.Errorf("not host:port (write IPv6 as [addr]:port)")
	}
	return s[:i], s[i+1:], nil
}

func isWireGuardKey(s string) error {
	if _, err := wgtypes.ParseKey(s); err != nil {
		return fmt.Errorf("not a base64 WireGuard key of 32 bytes")
	}
	return nil
}
