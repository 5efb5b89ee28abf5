package extrarouter

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ with the actual output")

// checkGolden compares got with testdata/<name>. On a mismatch it writes the
// actual output beside the reference (<name>.actual) and shows the first
// differing lines; -update rewrites the reference instead.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	ref := filepath.Join("testdata", filepath.FromSlash(name))
	if *update {
		if err := os.MkdirAll(filepath.Dir(ref), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(ref, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(ref)
	if err != nil {
		t.Fatalf("%s: %v (run the test with -update to create it)", ref, err)
	}
	if bytes.Equal(got, want) {
		_ = os.Remove(ref + ".actual")
		return
	}
	_ = os.WriteFile(ref+".actual", got, 0o644)
	t.Errorf("%s differs from the reference; actual written to %s.actual\n%s", ref, ref, lineDiff(string(want), string(got)))
}

// lineDiff is a minimal diff: the lines that differ, position by position,
// enough to see what changed without a diff library.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl == gl {
			continue
		}
		fmt.Fprintf(&b, "line %d:\n- %q\n+ %q\n", i+1, wl, gl)
		if shown++; shown == 10 {
			b.WriteString("...\n")
			break
		}
	}
	return b.String()
}
