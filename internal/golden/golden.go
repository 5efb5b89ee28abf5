// Package golden compares test output with reference files in testdata/.
// `go test ./... -update` rewrites the references; CI never passes it. On a
// mismatch the actual output is written beside the reference (.actual) for
// review, and the first differing line is shown.
package golden

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// Updating reports whether -update was given.
func Updating() bool { return *update }

// Testdata compares got with testdata/<name> of the calling package.
func Testdata(t testing.TB, name string, got []byte) {
	t.Helper()
	Assert(t, filepath.Join("testdata", filepath.FromSlash(name)), got)
}

// Assert compares got with the golden file at path.
func Assert(t testing.TB, path string, got []byte) {
	t.Helper()
	actual := path + ".actual"
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		_ = os.Remove(actual)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file %s: %v (run the test with -update to create it)", path, err)
	}
	if bytes.Equal(want, got) {
		_ = os.Remove(actual)
		return
	}
	_ = os.WriteFile(actual, got, 0o644)
	t.Errorf("%s differs from the golden file (actual output written to %s):\n%s", path, actual, lineDiff(string(want), string(got)))
}

// maxDiffLines bounds the diff shown: enough to see what changed.
const maxDiffLines = 10

// lineDiff lists the lines that differ, position by position; a minimal
// diff without a diff library.
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
		if wl == gl && i < len(w) && i < len(g) {
			continue
		}
		fmt.Fprintf(&b, "line %d:\n- %q\n+ %q\n", i+1, wl, gl)
		if shown++; shown == maxDiffLines {
			b.WriteString("...\n")
			break
		}
	}
	if b.Len() == 0 {
		return "(same lines, different bytes)"
	}
	return b.String()
}
