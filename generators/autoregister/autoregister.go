// Package autoregister generates the auto_register mode (field guide:
// "auto-register"): each device opens a TCP connection out to the
// monitoring or video platform, so no port is opened on the site and the
// only exposed port is the provider's, where its security is controlled.
//
// Artifacts: <site>/auto_register/device-settings.json (what to enter on each
// device: platform address, port, device ID) and operator-note.md. Both 0644:
// they hold no secret. Descriptions are never copied into them.
package autoregister

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"path"
	"regexp"
	"sort"

	"github.com/p2pplan/p2pplan/generators"
	"github.com/p2pplan/p2pplan/internal/mdtext"
	"github.com/p2pplan/p2pplan/internal/plan"
)

// Generator is the auto-register generator.
type Generator struct{}

var _ generators.Generator = Generator{}

// Name implements generators.Generator.
func (Generator) Name() string { return "autoregister" }

// Settings is the device-settings.json document.
type Settings struct {
	Site     string   `json:"site"`
	Platform Platform `json:"platform"`
	Devices  []Device `json:"devices"`
}

// Platform is where the devices register.
type Platform struct {
	Address  string `json:"address"` // IP address or host name
	Port     int    `json:"port"`
	Protocol string `json:"protocol"` // always tcp: auto-register is a TCP connection from the device
}

// Device is what to set on one device.
type Device struct {
	Device   string `json:"device"`
	Address  string `json:"address,omitempty"` // the device's LAN address, to find it
	DeviceID string `json:"device_id"`         // <site>-<device>: the name the platform knows it by
	Enabled  bool   `json:"auto_register_enabled"`
}

var hostnameRe = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

// DeviceID is the ID a device registers with: the site and device names,
// both identifiers, so it is stable and readable on the platform.
func DeviceID(siteName, device string) string { return siteName + "-" + device }

// Generate implements generators.Generator for mode auto_register.
func (Generator) Generate(_ context.Context, sp *plan.SitePlan, mode string) ([]generators.Artifact, error) {
	if mode != plan.ModeAutoRegister {
		return nil, nil
	}
	if sp == nil || sp.Site == nil {
		return nil, fmt.Errorf("autoregister: no site plan")
	}
	st, err := settings(sp)
	if err != nil {
		return nil, fmt.Errorf("autoregister: site %s: %w", sp.Site.Name, err)
	}
	js, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return nil, err
	}
	dir := path.Join(st.Site, plan.ModeAutoRegister)
	return []generators.Artifact{
		{Path: path.Join(dir, "device-settings.json"), Data: append(js, '\n'), Mode: 0o644},
		{Path: path.Join(dir, "operator-note.md"), Data: note(st), Mode: 0o644},
	}, nil
}

func settings(sp *plan.SitePlan) (*Settings, error) {
	s := sp.Site
	ar := s.AutoRegister
	if ar == nil || ar.Platform == "" {
		return nil, fmt.Errorf("auto_register.platform is not set: the platform's address is needed")
	}
	addr := ar.Platform
	if ip, err := netip.ParseAddr(addr); err == nil {
		addr = ip.String()
	} else if len(addr) > 253 || !hostnameRe.MatchString(addr) {
		return nil, fmt.Errorf("auto_register.platform %q is not an IP address or a host name", ar.Platform)
	}
	if ar.Port < 1 || ar.Port > 65535 {
		return nil, fmt.Errorf("auto_register.port %d is not between 1 and 65535", ar.Port)
	}
	if len(s.Devices) == 0 {
		return nil, fmt.Errorf("the site has no device to register")
	}
	st := &Settings{Site: s.Name, Platform: Platform{Address: addr, Port: ar.Port, Protocol: "tcp"}}
	for _, d := range s.Devices {
		a := d.IPv4
		if a == "" {
			a = d.IPv6
		}
		st.Devices = append(st.Devices, Device{Device: d.Name, Address: a, DeviceID: DeviceID(s.Name, d.Name), Enabled: true})
	}
	sort.Slice(st.Devices, func(i, j int) bool { return st.Devices[i].Device < st.Devices[j].Device })
	return st, nil
}

func note(st *Settings) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Auto-register: site %s\n\n", mdtext.Escape(st.Site))
	b.WriteString("Each device opens a TCP connection to the platform and keeps it up; the platform\n" +
		"reaches the device through it. Nothing is opened on the site's router: the only\n" +
		"exposed port is the platform's, on the service provider's side, where its security\n" +
		"is controlled. This is the field guide's answer for alarm-monitoring centres and\n" +
		"video service providers.\n\n")
	fmt.Fprintf(&b, "Platform: %s, TCP port %d.\n\n", mdtext.Escape(st.Platform.Address), st.Platform.Port)
	b.WriteString("## On each device\n\n" +
		"In the device's network settings (often called Auto Register, Platform Access or\n" +
		"Register), enable auto-register and enter the platform address, the port and the\n" +
		"device ID below. The same values are in device-settings.json.\n\n")
	b.WriteString("| device | LAN address | device ID | platform address | port |\n")
	b.WriteString("| --- | --- | --- | --- | ---: |\n")
	for _, d := range st.Devices {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d |\n", mdtext.Escape(d.Device), mdtext.Escape(d.Address), mdtext.Escape(d.DeviceID), mdtext.Escape(st.Platform.Address), st.Platform.Port)
	}
	b.WriteString("\n## Before leaving the site\n\n" +
		"- [ ] The site's firewall lets the devices open TCP connections to the platform's address and port.\n" +
		"- [ ] The platform shows each device ID online. A device ID must be unique on the platform:\n" +
		"      check that no other site already uses one of these, and that the device model accepts\n" +
		"      its length and characters (some models limit it).\n" +
		"- [ ] No port forward, DMZ or UPnP mapping is left on the site's router for these devices.\n" +
		"- [ ] The devices' vendor P2P service is switched off if the platform is the only way in.\n")
	return b.Bytes()
}
