package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/p2pplan/p2pplan/generators/nftables"
	"github.com/p2pplan/p2pplan/internal/lab"
	"github.com/p2pplan/p2pplan/internal/plan"
	"github.com/p2pplan/p2pplan/internal/site"
)

func applyCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(append([]string{"apply"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

// applyPlan is a hand-built PAT site plan (the port allocator is not
// involved in apply).
func applyPlan(exposures int) *plan.SitePlan {
	s := &site.Site{
		Name: "apply-test", Description: "quote \" brace } hash # semicolon ;\nnewline",
		Devices: []site.Device{{Name: "nvr", IPv4: "192.168.7.20", Services: []site.Service{
			{Name: "main", Protocol: "tcp", Port: 37777}, {Name: "rtsp", Protocol: "tcp", Port: 554},
		}}},
		Clients: site.Clients{Sources: []string{"198.51.100.0/24", "203.0.113.0/24"}},
	}
	sp := &plan.SitePlan{Site: s, Name: s.Name, Chosen: plan.ModePAT}
	for i, svc := range s.Devices[0].Services[:exposures] {
		sp.Exposures = append(sp.Exposures, plan.Exposure{Mode: "pat", Device: "nvr", Service: svc.Name, Protocol: "tcp",
			PublicAddress: "192.0.2.10", ExternalPort: 41000 + i, DeviceAddress: "192.168.7.20", DevicePort: svc.Port})
	}
	return sp
}

// writeRuleset generates the plan's ruleset with the generator and writes it
// where apply will read it.
func writeRuleset(t *testing.T, sp *plan.SitePlan) (path string, text []byte) {
	t.Helper()
	arts, err := nftables.New().Generate(context.Background(), sp, plan.ModePAT)
	if err != nil || len(arts) != 1 {
		t.Fatalf("generate: %v %v", arts, err)
	}
	path = filepath.Join(t.TempDir(), "nftables.nft")
	if err := os.WriteFile(path, arts[0].Data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, arts[0].Data
}

func TestApplyInputErrors(t *testing.T) {
	good, text := writeRuleset(t, applyPlan(2))
	dir := t.TempDir()
	bad := filepath.Join(dir, "range.nft")
	if err := os.WriteFile(bad, bytes.Replace(text, []byte("tcp dport 554 "), []byte("tcp dport 1-1024 "), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.nft")
	if err := os.WriteFile(other, []byte("flush ruleset\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no ruleset flag", nil, exitInput, "ruleset"},
		{"missing file", []string{"--ruleset", filepath.Join(dir, "nope.nft")}, exitInput, "no such file"},
		{"port range", []string{"--ruleset", bad}, exitInput, regexp.QuoteMeta(bad) + `:\d+: port "1-1024"`},
		{"not ours", []string{"--ruleset", other}, exitInput, regexp.QuoteMeta(other) + `:1: expected "table inet p2pplan"`},
		{"netns path", []string{"--ruleset", good, "--netns", "../x"}, exitInput, "not a path"},
		{"missing netns", []string{"--ruleset", good, "--netns", "p2pplan-no-such-ns", "--dry-run"}, exitEnv, "p2pplan-no-such-ns"},
		{"stray argument", []string{"--ruleset", good, "extra"}, exitInput, "unknown command"},
	} {
		code, out, errb := applyCLI(c.args...)
		if code != c.code || !regexp.MustCompile(c.want).MatchString(errb) {
			t.Errorf("%s: exit %d, stderr %q, stdout %q; want exit %d matching %q", c.name, code, errb, out, c.code, c.want)
		}
	}
}

// The apply code path, end to end in a fresh namespace: dry run, apply, read
// back with nft, re-apply, shrink.
func TestApplyNetns(t *testing.T) {
	lab.Require(t, "nft")
	ns := lab.New(t).Namespace("apply")
	ns.MustRun("nft", "add table ip keepme")
	file, text := writeRuleset(t, applyPlan(2))
	rs, err := nftables.Parse(file, text)
	if err != nil {
		t.Fatal(err)
	}

	code, out, errb := applyCLI("--ruleset", file, "--netns", ns.Name(), "--dry-run")
	if code != 0 || !strings.Contains(out, "dry run") || !strings.Contains(out, "6 rules added, 2 chains added, 1 set added") ||
		!strings.Contains(out, "+     ip daddr 192.0.2.10 tcp dport 41000 dnat ip to 192.168.7.20:37777") {
		t.Fatalf("dry run: exit %d\n%s%s", code, out, errb)
	}
	if listed, _ := ns.Run("nft", "list", "table", "inet", "p2pplan"); strings.Contains(listed, "chain") {
		t.Fatalf("the dry run applied something:\n%s", listed)
	}

	code, out, errb = applyCLI("--ruleset", file, "--netns", ns.Name())
	if code != 0 || !strings.Contains(out, "applied table inet p2pplan in network namespace "+ns.Name()) {
		t.Fatalf("apply: exit %d\n%s%s", code, out, errb)
	}
	// Read back with nft itself and compare rule for rule with the text.
	listed := regexp.MustCompile(`,\n[\t ]+`).ReplaceAllString(ns.MustRun("nft", "list", "table", "inet", "p2pplan"), ", ")
	if listed != string(nftables.FormatTable(&rs.Table)) {
		t.Errorf("nft lists\n%s\nthe file says\n%s", listed, nftables.FormatTable(&rs.Table))
	}
	var doc struct {
		Nftables []struct {
			Rule *struct {
				Chain   string            `json:"chain"`
				Comment string            `json:"comment"`
				Expr    []json.RawMessage `json:"expr"`
			} `json:"rule"`
		} `json:"nftables"`
	}
	if err := json.Unmarshal([]byte(ns.MustRun("nft", "-j", "list", "table", "inet", "p2pplan")), &doc); err != nil {
		t.Fatal(err)
	}
	var kernel []string
	for _, o := range doc.Nftables {
		if o.Rule != nil {
			kernel = append(kernel, o.Rule.Chain+": "+o.Rule.Comment)
		}
	}
	var want []string
	for _, c := range rs.Table.Chains {
		for _, r := range c.Rules {
			want = append(want, c.Name+": "+r.Comment)
		}
	}
	if strings.Join(kernel, "\n") != strings.Join(want, "\n") {
		t.Errorf("nft -j rules:\n%s\nwant\n%s", strings.Join(kernel, "\n"), strings.Join(want, "\n"))
	}

	code, out, _ = applyCLI("--ruleset", file, "--netns", ns.Name())
	if code != 0 || !strings.Contains(out, ": no changes") || strings.Contains(out, "+++") {
		t.Errorf("re-apply: exit %d\n%s", code, out)
	}

	smaller, _ := writeRuleset(t, applyPlan(1))
	code, out, errb = applyCLI("--ruleset", smaller, "--netns", ns.Name())
	if code != 0 || !strings.Contains(out, "2 rules removed") || strings.Contains(out, "added") ||
		!strings.Contains(out, "-     ip saddr @clients4 ip daddr 192.168.7.20 tcp dport 554 ct status dnat accept") {
		t.Errorf("shrink: exit %d\n%s%s", code, out, errb)
	}
	if out := ns.MustRun("nft", "list", "tables"); !strings.Contains(out, "table ip keepme") {
		t.Errorf("apply touched another table: %s", out)
	}
}
