// Package extrarouter generates the extra_router mode (field guide:
// "additional router"): a separate line and router dedicated to the video
// devices, with no link to the existing network, for complex managed sites
// where nothing else fits. What it produces is a checklist for the person
// who orders and installs the line: <site>/extra_router/checklist.md, 0644.
package extrarouter

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/p2pplan/p2pplan/generators"
	"github.com/p2pplan/p2pplan/internal/mdtext"
	"github.com/p2pplan/p2pplan/internal/plan"
	"github.com/p2pplan/p2pplan/internal/site"
)

// Generator is the extra-router generator.
type Generator struct{}

var _ generators.Generator = Generator{}

// Name implements generators.Generator.
func (Generator) Name() string { return "extrarouter" }

// Generate implements generators.Generator for mode extra_router. The
// checklist names the site's devices and services (identifiers, addresses
// and numbers only; descriptions are never copied).
func (Generator) Generate(_ context.Context, sp *plan.SitePlan, mode string) ([]generators.Artifact, error) {
	if mode != plan.ModeExtraRouter {
		return nil, nil
	}
	if sp == nil || sp.Site == nil {
		return nil, fmt.Errorf("extrarouter: no site plan")
	}
	s := sp.Site
	if len(s.Devices) == 0 {
		return nil, fmt.Errorf("extrarouter: site %s: no device to move to the dedicated line", s.Name)
	}
	return []generators.Artifact{{
		Path: path.Join(s.Name, plan.ModeExtraRouter, "checklist.md"),
		Data: checklist(s),
		Mode: 0o644,
	}}, nil
}

func checklist(s *site.Site) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Additional router: site %s\n\n", mdtext.Escape(s.Name))
	b.WriteString("A separate internet line (ADSL, fibre or mobile) and a router dedicated to the video\n" +
		"devices, with no link to the existing network. It costs a line and a router, so it is\n" +
		"kept for complex, managed sites where no other alternative fits. Tick every box before\n" +
		"handing the site over.\n\n")

	b.WriteString("## The line\n\n" +
		"- [ ] Order a line whose operator gives a public IPv4 address of its own: fixed, with no\n" +
		"      operator NAT (carrier-grade NAT), no IPv4 shared with port ranges, and no\n" +
		"      restriction on NAT. Ask before signing; a fixed IPv6 prefix is a plus.\n" +
		"- [ ] Note the line's reference, the operator's support number and the monthly cost.\n\n")

	b.WriteString("## The router\n\n" +
		"- [ ] Install the new router on the new line only. Nothing links it to the existing\n" +
		"      network: no cable, switch, VLAN, Wi-Fi bridge or VPN between the two.\n" +
		"- [ ] Give its LAN a subnet different from the existing network's, so a wrong cable\n" +
		"      shows at once instead of half-working.\n" +
		"- [ ] Change the administrator password (keep it in the password vault), update the\n" +
		"      firmware, and turn off administration from the internet.\n" +
		"- [ ] Turn UPnP off: it would expose the devices' default ports without anyone knowing.\n" +
		"- [ ] Never set a DMZ: it forwards every port to one device.\n\n")

	b.WriteString("## The devices to move\n\n" +
		"- [ ] Move these devices to the new router and give them addresses in its subnet:\n\n")
	b.WriteString("| device | current address | services (protocol/port) |\n| --- | --- | --- |\n")
	devs := append([]site.Device(nil), s.Devices...)
	sort.Slice(devs, func(i, j int) bool { return devs[i].Name < devs[j].Name })
	for _, d := range devs {
		addrs := strings.TrimSpace(d.IPv4 + " " + d.IPv6)
		var svcs []string
		for _, sv := range d.Services {
			svcs = append(svcs, fmt.Sprintf("%s %s/%d", sv.Name, sv.Protocol, sv.Port))
		}
		sort.Strings(svcs)
		fmt.Fprintf(&b, "| %s | %s | %s |\n", mdtext.Escape(d.Name), mdtext.Escape(addrs), mdtext.Escape(strings.Join(svcs, ", ")))
	}
	b.WriteString("\n")

	b.WriteString("## Check, then plan again\n\n" +
		"- [ ] Behind the new router, measure the line: `p2pplan probe --server HOST:PORT --json`.\n" +
		"- [ ] Describe the new line in the site file (the wan and router blocks, the devices' new\n" +
		"      addresses, the measurement) and run `p2pplan plan` again: on a clean line, P2P,\n" +
		"      static PAT or a VPN becomes possible.\n" +
		"- [ ] Check that the devices are declared online on the vendor's cloud.\n" +
		"- [ ] Test from a remote client on another operator's network, then from a second client.\n")
	return b.Bytes()
}
