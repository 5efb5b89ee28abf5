package outdir

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(p)
		info, _ := d.Info()
		rel, _ := filepath.Rel(dir, p)
		out[rel] = info.Mode().Perm().String() + " " + string(raw)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWriteNewAndReplace(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if err := Write(dir, []File{{Path: "a/x.conf", Data: []byte("x"), Mode: 0o600}, {Path: "b.txt", Data: []byte("b"), Mode: 0o644}}); err != nil {
		t.Fatal(err)
	}
	got := tree(t, dir)
	if got["a/x.conf"] != "-rw------- x" || got["b.txt"] != "-rw-r--r-- b" || got[Marker] == "" {
		t.Fatalf("tree: %v", got)
	}
	// A second run replaces the whole output: stale files disappear.
	if err := Write(dir, []File{{Path: "c.txt", Data: []byte("c"), Mode: 0o644}}); err != nil {
		t.Fatal(err)
	}
	got = tree(t, dir)
	keys := make([]string, 0, len(got))
	for k := range got {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) != 2 || keys[0] != Marker || keys[1] != "c.txt" {
		t.Fatalf("after replace: %v", keys)
	}
	// No staging directory is left beside it.
	siblings, _ := os.ReadDir(filepath.Dir(dir))
	if len(siblings) != 1 {
		t.Fatalf("left beside the output: %v", siblings)
	}
}

func TestRefusals(t *testing.T) {
	base := t.TempDir()
	user := filepath.Join(base, "user")
	if err := os.MkdirAll(user, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(user, "mine.txt"), []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := tree(t, user)
	for name, files := range map[string][]File{
		"user dir":  {{Path: "a", Data: nil, Mode: 0o644}},
		"escape":    {{Path: "../evil", Mode: 0o644}},
		"absolute":  {{Path: "/etc/passwd", Mode: 0o644}},
		"unclean":   {{Path: "a/../b", Mode: 0o644}},
		"duplicate": {{Path: "a", Mode: 0o644}, {Path: "a", Mode: 0o644}},
		"marker":    {{Path: Marker, Mode: 0o644}},
		"setuid":    {{Path: "a", Mode: 0o4755}},
	} {
		if err := Write(user, files); err == nil {
			t.Errorf("%s: no error", name)
		}
		if got := tree(t, user); len(got) != len(before) || got["mine.txt"] != before["mine.txt"] {
			t.Errorf("%s: directory changed: %v", name, got)
		}
	}
	entries, _ := os.ReadDir(base)
	if len(entries) != 1 {
		t.Errorf("staging left behind: %v", entries)
	}
}

// TestFailureMidWayKeepsPrevious: a write that fails after some files were
// staged leaves the previous output exactly as it was, and nothing beside.
func TestFailureMidWayKeepsPrevious(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "out")
	if err := Write(dir, []File{{Path: "old.txt", Data: []byte("old"), Mode: 0o644}}); err != nil {
		t.Fatal(err)
	}
	before := tree(t, dir)
	// "a" is a file, so "a/b" cannot be created: the failure comes after
	// "a" was staged.
	err := Write(dir, []File{{Path: "a", Data: []byte("1"), Mode: 0o644}, {Path: "a/b", Data: []byte("2"), Mode: 0o644}})
	if err == nil {
		t.Fatal("no error")
	}
	after := tree(t, dir)
	if len(after) != len(before) || after["old.txt"] != before["old.txt"] {
		t.Fatalf("previous output changed: %v", after)
	}
	if entries, _ := os.ReadDir(base); len(entries) != 1 {
		t.Fatalf("left beside the output: %v", entries)
	}
}
