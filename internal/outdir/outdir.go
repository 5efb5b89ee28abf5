// Package outdir writes a run's artifacts into the output directory
// all-or-nothing (SPEC §8): everything is staged in a sibling directory and
// swapped in with renames, so on any error the directory is left exactly as
// it was.
package outdir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Marker is the file that says a directory was written by p2pplan, so a
// later run may replace it. A directory without it that is not empty is
// never touched: it may hold the user's own files.
const Marker = ".p2pplan-output"

// ErrNotOurs is returned for an output directory that is not empty and was
// not written by p2pplan: a usage error, never touched.
var ErrNotOurs = errors.New("not empty and not written by p2pplan; refusing to replace it")

// File is one file to write.
type File struct {
	Path string      // slash-separated, relative to the output directory
	Data []byte      // exact bytes
	Mode fs.FileMode // permission bits (0600 for anything holding a secret)
}

// Validate refuses paths that could escape the output directory or collide.
func Validate(files []File) error {
	seen := map[string]bool{}
	for _, f := range files {
		clean := path.Clean(f.Path)
		if f.Path == "" || clean != f.Path || path.IsAbs(f.Path) || clean == "." ||
			strings.HasPrefix(clean, "../") || clean == ".." || strings.Contains(f.Path, "\\") {
			return fmt.Errorf("artifact path %q is not a clean relative path", f.Path)
		}
		if path.Base(clean) == Marker {
			return fmt.Errorf("artifact path %q is reserved", f.Path)
		}
		if seen[clean] {
			return fmt.Errorf("two artifacts have the path %q", f.Path)
		}
		seen[clean] = true
		if f.Mode&^fs.ModePerm != 0 {
			return fmt.Errorf("artifact %q: mode %v is not a plain file mode", f.Path, f.Mode)
		}
	}
	return nil
}

// Write replaces dir with exactly files. dir must not exist, be empty, or
// hold a previous p2pplan output (the Marker file).
func Write(dir string, files []File) error {
	if err := Validate(files); err != nil {
		return err
	}
	dir = filepath.Clean(dir)
	existing, err := checkReplaceable(dir)
	if err != nil {
		return err
	}
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	stage, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".p2pplan-stage-")
	if err != nil {
		return err
	}
	keep := false
	defer func() {
		if !keep {
			os.RemoveAll(stage)
		}
	}()
	if err := os.Chmod(stage, 0o755); err != nil {
		return err
	}
	sorted := append([]File{}, files...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	for _, f := range append(sorted, File{Path: Marker, Data: []byte("written by p2pplan plan; the next run replaces this directory\n"), Mode: 0o644}) {
		if err := writeFile(filepath.Join(stage, filepath.FromSlash(f.Path)), f.Data, f.Mode); err != nil {
			return err
		}
	}
	if !existing {
		// An empty directory is removed so the rename can take its place.
		if err := os.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err := os.Rename(stage, dir); err != nil {
			return err
		}
		keep = true
		return nil
	}
	old := stage + ".old"
	if err := os.Rename(dir, old); err != nil {
		return err
	}
	if err := os.Rename(stage, dir); err != nil {
		// Put the previous output back: the directory is as it was.
		if rerr := os.Rename(old, dir); rerr != nil {
			return fmt.Errorf("%w (and restoring the previous output failed: %v; it is in %s)", err, rerr, old)
		}
		return err
	}
	keep = true
	return os.RemoveAll(old)
}

// checkReplaceable reports whether dir holds a previous p2pplan output
// (true), does not exist or is empty (false), or must not be touched.
func checkReplaceable(dir string) (bool, error) {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, err
	case len(entries) == 0:
		return false, nil
	}
	if _, err := os.Stat(filepath.Join(dir, Marker)); err != nil {
		return false, fmt.Errorf("output directory %s: %w", dir, ErrNotOurs)
	}
	return true, nil
}

func writeFile(name string, data []byte, mode fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	// O_EXCL: the staging directory is new, so an existing file is a bug.
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	// The umask may have narrowed the mode; set it exactly.
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
