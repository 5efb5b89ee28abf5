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
	t.Errorf("%s differs from the golden file (actual output written to %s):\n%s", path, actual, firstDiff(want, got))
}

// firstDiff describes the first differing line with some context.
func firstDiff(want, got []byte) string {
	wl := strings.Split(string(want), "\n")
	gl := strings.Split(string(got), "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g || i >= len(wl) || i >= len(gl) {
			return fmt.Sprintf("line %d:\n- want: %q\n+ got:  %q", i+1, w, g)
		}
	}
	return "(same lines, different bytes)"
}
