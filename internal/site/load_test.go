package site

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// TestBadInput loads every file of testdata/bad: each names, on its first
// line, the position and summary of the first error it must produce
// ("# want: LINE:COL Summary").
func TestBadInput(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.hcl")
	if err != nil || len(files) < 20 {
		t.Fatalf("want at least 20 bad-input files, got %d (%v)", len(files), err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			wantLine, wantCol, wantSummary := readWant(t, file)
			l := NewLoader()
			emitted := 0
			diags := l.LoadFile(file, func(*Site) { emitted++ })
			if !diags.HasErrors() {
				t.Fatalf("no error; want %d:%d %s", wantLine, wantCol, wantSummary)
			}
			first := firstError(diags)
			if first.Subject == nil {
				t.Fatalf("error without a position: %s", first.Error())
			}
			got := first.Subject.Start
			if first.Subject.Filename != file || got.Line != wantLine || got.Column != wantCol || first.Summary != wantSummary {
				t.Errorf("first error = %s:%d:%d %q, want %s:%d:%d %q (%s)",
					first.Subject.Filename, got.Line, got.Column, first.Summary, file, wantLine, wantCol, wantSummary, first.Detail)
			}
			// The printed diagnostic shows the file, the line and its source.
			var buf bytes.Buffer
			if err := l.WriteDiagnostics(&buf, diags, 0, false); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(buf.String(), "on "+file+" line ") {
				t.Errorf("diagnostic text does not name the file and line:\n%s", buf.String())
			}
		})
	}
}

func readWant(t *testing.T, file string) (int, int, string) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan()
	var line, col int
	head, summary, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "# want: "), " ")
	if _, err := fmt.Sscanf(head, "%d:%d", &line, &col); !ok || err != nil {
		t.Fatalf("%s: first line must be '# want: LINE:COL Summary'", file)
	}
	return line, col, summary
}

func firstError(diags hcl.Diagnostics) *hcl.Diagnostic {
	var list hcl.Diagnostics
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			list = append(list, d)
		}
	}
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i].Subject, list[j].Subject
		if a == nil || b == nil {
			return a != nil
		}
		if a.Start.Line != b.Start.Line {
			return a.Start.Line < b.Start.Line
		}
		return a.Start.Column < b.Start.Column
	})
	return list[0]
}
