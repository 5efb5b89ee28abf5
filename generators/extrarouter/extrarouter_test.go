package extrarouter

import (
	"context"
	"math/rand"
	"reflect"
	"strings"
	"testing"

	"github.com/p2pplan/p2pplan/internal/golden"
	"github.com/p2pplan/p2pplan/internal/plan"
	"github.com/p2pplan/p2pplan/internal/randsite"
	"github.com/p2pplan/p2pplan/internal/site"
)

func managed() *plan.SitePlan {
	return &plan.SitePlan{Site: &site.Site{
		Name:        "hospital-annex",
		Description: "Annex | \"B\"\n## injected ; }",
		Devices: []site.Device{
			{Name: "nvr", Description: "x\n| y |", IPv4: "10.20.0.5", IPv6: "2001:db8:30::5",
				Services: []site.Service{{Name: "rtsp", Protocol: "tcp", Port: 554}, {Name: "main", Protocol: "tcp", Port: 37777}}},
			{Name: "cam-lobby", IPv4: "10.20.0.11", Services: []site.Service{{Name: "web", Protocol: "tcp", Port: 80}}},
		},
	}}
}

func TestGolden(t *testing.T) {
	arts, err := Generator{}.Generate(context.Background(), managed(), plan.ModeExtraRouter)
	if err != nil {
		t.Fatal(err)
	}
	if len(arts) != 1 || arts[0].Mode != 0o644 || arts[0].Path != "hospital-annex/extra_router/checklist.md" {
		t.Fatalf("artifacts = %+v", arts)
	}
	golden.Testdata(t, arts[0].Path+".golden", arts[0].Data)
}

func TestModes(t *testing.T) {
	for _, m := range []string{plan.ModePAT, plan.ModeVPN, plan.ModeDMZ, plan.ModeAutoRegister, plan.ModeIPv6} {
		if arts, err := (Generator{}).Generate(context.Background(), managed(), m); arts != nil || err != nil {
			t.Errorf("mode %s: %v %v", m, arts, err)
		}
	}
	sp := managed()
	sp.Site.Devices = nil
	if _, err := (Generator{}).Generate(context.Background(), sp, plan.ModeExtraRouter); err == nil {
		t.Error("no device: want an error")
	}
}

func TestProperties(t *testing.T) {
	r := rand.New(rand.NewSource(20261125))
	for i := 0; i < 1000; i++ {
		sp := &plan.SitePlan{Site: randsite.Site(r, i)}
		arts, err := Generator{}.Generate(context.Background(), sp, plan.ModeExtraRouter)
		if err != nil {
			t.Fatalf("site %d: %v", i, err)
		}
		again, _ := Generator{}.Generate(context.Background(), sp, plan.ModeExtraRouter)
		if !reflect.DeepEqual(arts, again) {
			t.Fatalf("site %d: not deterministic", i)
		}
		d := string(arts[0].Data)
		if strings.Contains(d, randsite.Marker) {
			t.Fatalf("site %d: description text in the checklist", i)
		}
		for _, dev := range sp.Site.Devices {
			if !strings.Contains(d, "| "+dev.Name+" |") {
				t.Fatalf("site %d: device %s missing", i, dev.Name)
			}
		}
	}
}
