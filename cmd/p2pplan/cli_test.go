package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/p2pplan/p2pplan/internal/golden"
	"github.com/p2pplan/p2pplan/internal/plan"
	"github.com/p2pplan/p2pplan/internal/report"
)

// atRepoRoot runs the test from the repository root so file names in
// reports read as a user would type them (examples/x.hcl), and returns the
// absolute path of this package's testdata.
func atRepoRoot(t *testing.T) string {
	t.Helper()
	td, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir("../..")
	return td
}

func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func examples(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("examples/*.hcl")
	if err != nil || len(files) < 13 {
		t.Fatalf("want at least 13 examples, got %d (%v)", len(files), err)
	}
	return files
}

// TestExamplesGolden checks every example's report in every format
// against golden files (go test ./cmd/p2pplan -update refreshes them).
func TestExamplesGolden(t *testing.T) {
	td := atRepoRoot(t)
	for _, file := range examples(t) {
		name := strings.TrimSuffix(filepath.Base(file), ".hcl")
		t.Run(name, func(t *testing.T) {
			wantCode := exitOK
			if name == "dmz-requested" {
				wantCode = exitDenied
			}
			for _, format := range report.Formats() {
				code, out, errOut := runCLI("check", "--format", format, file)
				if code != wantCode {
					t.Fatalf("%s: exit %d, want %d; stderr: %s", format, code, wantCode, errOut)
				}
				golden.Assert(t, filepath.Join(td, "examples", name+"."+format), []byte(out))
			}
		})
	}
}

// TestDMZExample: the DMZ example exits 1, names SEC-001, and no site of any
// example ever gets dmz or upnp as its mode.
func TestDMZExample(t *testing.T) {
	atRepoRoot(t)
	code, out, _ := runCLI("check", "--format", "json", "examples/dmz-requested.hcl")
	if code != exitDenied {
		t.Fatalf("exit %d, want 1", code)
	}
	var p plan.Plan
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Sites) != 1 || len(p.Sites[0].Denials) == 0 || p.Sites[0].Denials[0].ID != "SEC-001" {
		t.Fatalf("denials: %+v", p.Sites[0].Denials)
	}
	code, out, _ = runCLI("check", "--format", "json", "examples")
	if code != exitDenied {
		t.Fatalf("whole examples directory: exit %d, want 1", code)
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	for _, sp := range p.Sites {
		if sp.Chosen == plan.ModeDMZ || sp.Chosen == plan.ModeUPnP {
			t.Errorf("site %s: chosen %s", sp.Name, sp.Chosen)
		}
	}
}

// TestDeterministic: the same input gives the same bytes, whatever the
// number of workers.
func TestDeterministic(t *testing.T) {
	atRepoRoot(t)
	_, first, _ := runCLI("check", "--format", "json", "--workers", "1", "examples")
	for _, workers := range []string{"1", "2", "8"} {
		_, again, _ := runCLI("check", "--format", "json", "--workers", workers, "examples")
		if again != first {
			t.Fatalf("--workers %s: output differs from the first run", workers)
		}
	}
}

// TestBadInputExitsTwo runs the CLI on every bad-input file of the loader's
// tests: exit 2, the diagnostic names the file and line, stdout is empty.
func TestBadInputExitsTwo(t *testing.T) {
	atRepoRoot(t)
	files, _ := filepath.Glob("internal/site/testdata/bad/*.hcl")
	if len(files) < 20 {
		t.Fatalf("want at least 20 bad-input files, got %d", len(files))
	}
	for _, file := range files {
		code, out, errOut := runCLI("check", "--format", "json", file)
		if code != exitInput {
			t.Errorf("%s: exit %d, want 2", file, code)
		}
		if out != "" {
			t.Errorf("%s: something was printed on stdout: %s", file, out)
		}
		if !strings.Contains(errOut, "on "+file+" line ") {
			t.Errorf("%s: diagnostic does not name the file and line:\n%s", file, errOut)
		}
	}
}

// TestUsageErrors: bad flags, missing arguments and missing files exit 2.
func TestUsageErrors(t *testing.T) {
	atRepoRoot(t)
	for _, args := range [][]string{
		{"check"},
		{"check", "--format", "yaml", "examples"},
		{"check", "--bogus", "examples"},
		{"check", "does-not-exist.hcl"},
		{"check", "--measurement", "nonsense", "examples"},
		{"check", "--measurement", "no-such-site=examples/measurements/none.json", "examples/home-fixed-ipv4.hcl"},
		{"policy", "test", "does-not-exist"},
		{"nosuchcommand"},
	} {
		if code, _, errOut := runCLI(args...); code != exitInput {
			t.Errorf("%v: exit %d, want 2 (stderr %s)", args, code, errOut)
		}
	}
}

// TestPolicyTest runs the embedded policies' Rego unit tests through the
// CLI: they pass and cover at least 90% of policy lines.
func TestPolicyTest(t *testing.T) {
	code, out, errOut := runCLI("policy", "test")
	if code != exitOK {
		t.Fatalf("exit %d:\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, " passed, 0 failed") {
		t.Errorf("unexpected output:\n%s", out)
	}
}

// TestPolicyBundle writes the bundle twice: same bytes, a gzip file.
func TestPolicyBundle(t *testing.T) {
	dir := t.TempDir()
	var files [2][]byte
	for i := range files {
		path := filepath.Join(dir, "bundle.tar.gz")
		if code, _, errOut := runCLI("policy", "bundle", "-o", path); code != exitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		files[i] = raw
	}
	if !bytes.Equal(files[0], files[1]) || len(files[0]) < 2 || files[0][0] != 0x1f || files[0][1] != 0x8b {
		t.Fatal("bundle is not a deterministic gzip file")
	}
}

// TestInitAndFmt: the starter file loads, is canonically formatted, and
// init never overwrites; fmt rewrites a file and --check reports it.
func TestInitAndFmt(t *testing.T) {
	dir := t.TempDir()
	starter := filepath.Join(dir, "site.hcl")
	if code, _, errOut := runCLI("init", starter); code != exitOK {
		t.Fatalf("init: exit %d: %s", code, errOut)
	}
	if code, _, _ := runCLI("init", starter); code != exitInput {
		t.Errorf("init over an existing file: exit %d, want 2", code)
	}
	if code, _, errOut := runCLI("check", "--format", "json", starter); code != exitOK {
		t.Errorf("starter does not check: exit %d: %s", code, errOut)
	}
	if code, out, _ := runCLI("fmt", "--check", starter); code != exitOK || out != "" {
		t.Errorf("starter is not canonical: exit %d %s", code, out)
	}
	messy := filepath.Join(dir, "messy.hcl")
	if err := os.WriteFile(messy, []byte("site \"a\" {\nprofile=\"home\"\n}\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runCLI("fmt", "--check", messy); code != exitDenied || !strings.Contains(out, messy) {
		t.Errorf("fmt --check on a messy file: exit %d, out %q", code, out)
	}
	if code, _, _ := runCLI("fmt", messy); code != exitOK {
		t.Errorf("fmt: exit %d", code)
	}
	raw, _ := os.ReadFile(messy)
	if string(raw) != "site \"a\" {\n  profile = \"home\"\n}\n" {
		t.Errorf("formatted: %q", raw)
	}
	if info, _ := os.Stat(messy); info.Mode().Perm() != 0o640 {
		t.Errorf("fmt changed the file mode to %v", info.Mode().Perm())
	}
	broken := filepath.Join(dir, "broken.hcl")
	_ = os.WriteFile(broken, []byte("site \"a\" {\n"), 0o644)
	if code, _, errOut := runCLI("fmt", broken, messy); code != exitInput || !strings.Contains(errOut, broken) {
		t.Errorf("fmt on a broken file: exit %d: %s", code, errOut)
	}
}

// TestMeasurementFlag: --measurement SITE=FILE wins over the site's
// declaration and implies its findings.
func TestMeasurementFlag(t *testing.T) {
	atRepoRoot(t)
	code, out, errOut := runCLI("check", "--format", "json",
		"--measurement", "home-dupont=examples/measurements/shop-operator-nat.json", "examples/home-fixed-ipv4.hcl")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var p plan.Plan
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	sp := p.Sites[0]
	if !sp.P2P.Measured || sp.P2P.SiteNAT != "port_restricted_cone" {
		t.Errorf("p2p = %+v, want the measured port_restricted_cone", sp.P2P)
	}
	ids := map[string]bool{}
	for _, f := range sp.Findings {
		ids[f.ID] = true
	}
	if !ids["P2P-002"] || !ids["P2P-010"] {
		t.Errorf("findings %v, want P2P-002 (operator NAT measured) and P2P-010", ids)
	}
	if sp.Chosen == plan.ModePAT {
		t.Error("PAT chosen behind a measured operator NAT")
	}
}

// TestPolicyOverride: --policy DIR overrides the profile order (data) and
// adds a rule; `policy test DIR` runs the operator's own Rego tests too.
func TestPolicyOverride(t *testing.T) {
	atRepoRoot(t)
	dir := t.TempDir()
	files := map[string]string{
		"data.json": `{"p2pplan": {"config": {"order": {"home": ["vpn", "pat", "extra_router"]}}}}`,
		"extra.rego": `package p2pplan

# An operator's own finding, added to the catalogue's set.
p2p_findings contains finding("OPS-001", "Operator rule: every home site is reviewed.", "Nothing to do.", "profile") if {
	input.site.profile == "home"
}
`,
		"extra_test.rego": `package p2pplan_test

import data.p2pplan

test_ops001 if {
	some f in p2pplan.p2p_findings with input as {"site": {"profile": "home"}, "measurement": null}
	f.id == "OPS-001"
}
`,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut := runCLI("check", "--format", "json", "--policy", dir, "examples/home-fixed-ipv4.hcl")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var p plan.Plan
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	if p.Sites[0].Chosen != plan.ModeVPN {
		t.Errorf("chosen %s, want vpn (the operator's order)", p.Sites[0].Chosen)
	}
	found := false
	for _, f := range p.Sites[0].Findings {
		found = found || f.ID == "OPS-001" && f.Source.Line > 0
	}
	if !found {
		t.Errorf("the operator's finding is missing or has no source: %+v", p.Sites[0].Findings)
	}
	if code, out, errOut := runCLI("policy", "test", dir); code != exitOK || !strings.Contains(out, "0 failed") {
		t.Errorf("policy test DIR: exit %d\n%s%s", code, out, errOut)
	}
	broken := t.TempDir()
	_ = os.WriteFile(filepath.Join(broken, "x.rego"), []byte("package p2pplan\n\nthis is not rego\n"), 0o644)
	if code, _, _ := runCLI("check", "--policy", broken, "examples/home-fixed-ipv4.hcl"); code != exitInput {
		t.Errorf("broken policy: exit %d, want 2", code)
	}
}
