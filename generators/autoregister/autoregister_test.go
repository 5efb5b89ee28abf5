package autoregister

import (
	"context"
	"encoding/json"
	"math/rand"
	"reflect"
	"strings"
	"testing"

	"github.com/p2pplan/p2pplan/internal/golden"
	"github.com/p2pplan/p2pplan/internal/mdtext"
	"github.com/p2pplan/p2pplan/internal/plan"
	"github.com/p2pplan/p2pplan/internal/randsite"
	"github.com/p2pplan/p2pplan/internal/site"
)

func monitoring() *plan.SitePlan {
	return &plan.SitePlan{Site: &site.Site{
		Name:        "bank-branch-12",
		Description: "Branch \"12\"\n# | injected | ; }",
		Devices: []site.Device{
			{Name: "nvr", Description: "<b>NVR</b>|x", IPv4: "192.168.10.20"},
			{Name: "cam-door", IPv6: "2001:db8:12::30"},
		},
		AutoRegister: &site.AutoRegister{Platform: "203.0.113.50", Port: 7000},
	}}
}

func TestGolden(t *testing.T) {
	named := monitoring()
	named.Site.Name = "video-provider"
	named.Site.AutoRegister.Platform = "platform.example.com"
	for _, sp := range []*plan.SitePlan{monitoring(), named} {
		arts, err := Generator{}.Generate(context.Background(), sp, plan.ModeAutoRegister)
		if err != nil {
			t.Fatal(err)
		}
		if len(arts) != 2 {
			t.Fatalf("%d artifacts", len(arts))
		}
		for _, a := range arts {
			if a.Mode != 0o644 || a.Sensitive {
				t.Errorf("%s: mode %o", a.Path, a.Mode)
			}
			golden.Testdata(t, a.Path+".golden", a.Data)
		}
		var st Settings
		if err := json.Unmarshal(arts[0].Data, &st); err != nil {
			t.Fatal(err)
		}
		if st.Devices[0].DeviceID != sp.Site.Name+"-cam-door" || st.Platform.Protocol != "tcp" {
			t.Errorf("settings = %+v", st)
		}
	}
}

func TestRefusals(t *testing.T) {
	for name, edit := range map[string]func(*site.Site){
		"no block":      func(s *site.Site) { s.AutoRegister = nil },
		"no platform":   func(s *site.Site) { s.AutoRegister.Platform = "" },
		"bad platform":  func(s *site.Site) { s.AutoRegister.Platform = "x\n# y" },
		"port zero":     func(s *site.Site) { s.AutoRegister.Port = 0 },
		"port too high": func(s *site.Site) { s.AutoRegister.Port = 70000 },
		"no device":     func(s *site.Site) { s.Devices = nil },
	} {
		sp := monitoring()
		edit(sp.Site)
		if _, err := (Generator{}).Generate(context.Background(), sp, plan.ModeAutoRegister); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	for _, m := range []string{plan.ModePAT, plan.ModeVPN, plan.ModeDMZ, plan.ModeExtraRouter} {
		if arts, err := (Generator{}).Generate(context.Background(), monitoring(), m); arts != nil || err != nil {
			t.Errorf("mode %s: %v %v", m, arts, err)
		}
	}
}

func TestMdText(t *testing.T) {
	if got := mdtext.Escape("a|b\n<c>`d`"); got != "a\\|b \\<c\\>\\`d\\`" {
		t.Errorf("mdText = %q", got)
	}
}

// TestProperties: 1,000 random sites: deterministic, no user text, valid JSON
// with one unique device ID per device.
func TestProperties(t *testing.T) {
	r := rand.New(rand.NewSource(20261125))
	for i := 0; i < 1000; i++ {
		sp := &plan.SitePlan{Site: randsite.Site(r, i)}
		arts, err := Generator{}.Generate(context.Background(), sp, plan.ModeAutoRegister)
		if err != nil {
			t.Fatalf("site %d: %v", i, err)
		}
		again, _ := Generator{}.Generate(context.Background(), sp, plan.ModeAutoRegister)
		if !reflect.DeepEqual(arts, again) {
			t.Fatalf("site %d: not deterministic", i)
		}
		for _, a := range arts {
			if strings.Contains(string(a.Data), randsite.Marker) {
				t.Fatalf("site %d: %s holds description text", i, a.Path)
			}
		}
		var st Settings
		if err := json.Unmarshal(arts[0].Data, &st); err != nil {
			t.Fatalf("site %d: %v", i, err)
		}
		ids := map[string]bool{}
		for _, d := range st.Devices {
			if ids[d.DeviceID] || !strings.HasPrefix(d.DeviceID, sp.Site.Name+"-") {
				t.Fatalf("site %d: device ID %q duplicated or not derived from the site", i, d.DeviceID)
			}
			ids[d.DeviceID] = true
		}
		if len(st.Devices) != len(sp.Site.Devices) {
			t.Fatalf("site %d: %d devices in the settings, %d in the site", i, len(st.Devices), len(sp.Site.Devices))
		}
	}
}
