package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/p2pplan/p2pplan/internal/golden"
	"github.com/p2pplan/p2pplan/internal/lab"
	"github.com/p2pplan/p2pplan/internal/outdir"
)

// readTree returns every file under dir: relative path → mode and bytes.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = info.Mode().Perm().String() + "\n" + string(raw)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sortedPaths(tree map[string]string) []string {
	out := make([]string, 0, len(tree))
	for k := range tree {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// planExamples runs `plan --all-alternatives --out DIR examples/`.
func planExamples(t *testing.T, out string) string {
	t.Helper()
	code, stdout, stderr := runCLI("plan", "--format", "json", "--all-alternatives", "--out", out, "examples")
	if code != exitDenied { // the DMZ example is denied; every other site is written
		t.Fatalf("exit %d, want 1 (the DMZ example); stderr: %s", code, stderr)
	}
	return stdout
}

// TestArtifactsGolden: every example × every applicable alternative, byte
// for byte and with its file mode, against testdata/artifacts/ (refreshed
// with -update). A golden file no run produces any more is an error too.
func TestArtifactsGolden(t *testing.T) {
	td := atRepoRoot(t)
	out := filepath.Join(t.TempDir(), "out")
	stdout := planExamples(t, out)
	got := readTree(t, out)
	dir := filepath.Join(td, "artifacts")
	if golden.Updating() {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range sortedPaths(got) {
		golden.Assert(t, filepath.Join(dir, filepath.FromSlash(p)), []byte(got[p]))
	}
	golden.Assert(t, filepath.Join(td, "examples-all-alternatives.json"), []byte(stdout))
	want := readTree(t, dir)
	for _, p := range sortedPaths(want) {
		if _, ok := got[p]; !ok && !strings.HasSuffix(p, ".actual") {
			t.Errorf("golden file %s is no longer produced (run with -update)", p)
		}
	}
	// Nothing for the denied site, and never a DMZ or UPnP artifact.
	for _, p := range sortedPaths(got) {
		if strings.HasPrefix(p, "warehouse-dmz/") || strings.Contains(p, "/dmz/") || strings.Contains(p, "/upnp/") {
			t.Errorf("artifact %s must not exist", p)
		}
	}
}

// TestArtifactsDeterministic: two runs write the same bytes and modes.
func TestArtifactsDeterministic(t *testing.T) {
	atRepoRoot(t)
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	outA, outB := planExamples(t, a), planExamples(t, b)
	if outA != outB {
		t.Error("plan JSON differs between two runs")
	}
	ta, tb := readTree(t, a), readTree(t, b)
	if len(ta) != len(tb) {
		t.Fatalf("%d files vs %d", len(ta), len(tb))
	}
	for p, v := range ta {
		if tb[p] != v {
			t.Errorf("%s differs between two runs", p)
		}
	}
}

// TestEveryRulesetPassesNftCheck runs `nft -c -f` on every nftables file
// the examples produce, inside a fresh namespace (the check talks to the
// kernel; it must not be the host's).
func TestEveryRulesetPassesNftCheck(t *testing.T) {
	lab.Require(t, "nft")
	atRepoRoot(t)
	out := filepath.Join(t.TempDir(), "out")
	planExamples(t, out)
	ns := lab.New(t).Namespace("nftc")
	n := 0
	for _, p := range sortedPaths(readTree(t, out)) {
		if !strings.HasSuffix(p, ".nft") {
			continue
		}
		n++
		if _, err := ns.Run("nft", "-c", "-f", filepath.Join(out, p)); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	if n < 10 {
		t.Fatalf("only %d rulesets checked", n)
	}
}

// TestOutputUntouchedOnError: a run that fails (bad input, or a generator
// refusing a site) leaves the output directory exactly as it was.
func TestOutputUntouchedOnError(t *testing.T) {
	atRepoRoot(t)
	base := t.TempDir()
	out := filepath.Join(base, "out")
	planExamples(t, out)
	before := readTree(t, out)

	// Two sites pin the same external port on the same public IPv4: each is
	// valid alone, so the policies accept both, and the run fails only
	// when the second site's artifacts are generated.
	bad := filepath.Join(base, "refused.hcl")
	var two strings.Builder
	for _, name := range []string{"twin-a", "twin-b"} {
		fmt.Fprintf(&two, `site %q {
  profile = "home"
  online  = true
  wan {
    ipv4       = "198.51.100.99"
    ipv4_fixed = true
  }
  router {
    nat = "symmetric"
  }
  device "nvr" {
    ipv4 = "192.168.1.10"
    service "main" {
      protocol      = "tcp"
      port          = 37777
      external_port = 40001
    }
  }
  clients {
    nat = "symmetric"
  }
}
`, name)
	}
	if err := os.WriteFile(bad, []byte(two.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"plan", "--out", out, "examples", bad},
		{"plan", "--out", out, "examples", "internal/site/testdata/bad/bad-ipv4.hcl"},
	} {
		code, stdout, stderr := runCLI(args...)
		if code != exitInput {
			t.Errorf("%v: exit %d, want 2; stderr %s", args, code, stderr)
		}
		if !strings.Contains(stderr, ".hcl:") && !strings.Contains(stderr, ".hcl line ") {
			t.Errorf("%v: the error does not name the file and line: %s", args, stderr)
		}
		if stdout != "" {
			t.Errorf("%v: a report was printed although the run failed", args)
		}
		after := readTree(t, out)
		if len(after) != len(before) {
			t.Fatalf("%v: %d files before, %d after", args, len(before), len(after))
		}
		for p, v := range before {
			if after[p] != v {
				t.Errorf("%v: %s changed", args, p)
			}
		}
	}
	entries, _ := os.ReadDir(base)
	for _, e := range entries {
		if e.Name() != "out" && e.Name() != "refused.hcl" {
			t.Errorf("left beside the output: %s", e.Name())
		}
	}
	// A directory of the user's own is never replaced.
	mine := filepath.Join(base, "mine")
	if err := os.MkdirAll(mine, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mine, "notes.txt"), []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := runCLI("plan", "--out", mine, "examples/home-fixed-ipv4.hcl"); code != exitInput {
		t.Errorf("plan into a user directory: exit %d, want 2", code)
	}
	if _, err := os.Stat(filepath.Join(mine, outdir.Marker)); err == nil {
		t.Error("the user's directory was written to")
	}
}

// TestCheckWritesNothing: check never writes, even with --out-like intent.
func TestCheckWritesNothing(t *testing.T) {
	atRepoRoot(t)
	if code, _, _ := runCLI("check", "--out", "x", "examples"); code != exitInput {
		t.Errorf("check --out: exit %d, want 2 (check has no --out)", code)
	}
	if _, err := os.Stat("x"); err == nil {
		t.Error("check wrote something")
	}
}

// TestEveryWireGuardConfigLoads: every WireGuard file the examples produce
// is accepted by `wg-quick strip` (gateway configs) and by `wg setconf` on a
// wireguard-go interface inside a namespace.
func TestEveryWireGuardConfigLoads(t *testing.T) {
	lab.Require(t, "wg", "wg-quick", "wireguard-go")
	atRepoRoot(t)
	out := filepath.Join(t.TempDir(), "out")
	planExamples(t, out)
	ns := lab.New(t).Namespace("wgc")
	iface := ns.WireGuardInterface(t)
	n := 0
	for _, p := range sortedPaths(readTree(t, out)) {
		if !strings.HasSuffix(p, ".conf") || !strings.Contains(p, "/vpn/") {
			continue
		}
		n++
		conf, err := os.ReadFile(filepath.Join(out, p))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(p, "/wg-p2pplan.conf") {
			stripped, err := lab.WgQuickStrip(t.TempDir(), "wg-p2pplan.conf", conf)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			conf = []byte(stripped)
		}
		file := filepath.Join(t.TempDir(), "setconf.conf")
		if err := os.WriteFile(file, lab.LabEndpoints(conf, "198.51.100.1"), 0o600); err != nil {
			t.Fatal(err)
		}
		if msg, err := ns.Run("wg", "setconf", iface, file); err != nil {
			t.Errorf("%s: wg setconf refused it: %v %s", p, err, msg)
		}
	}
	if n < 10 {
		t.Fatalf("only %d WireGuard files checked", n)
	}
}
