// Package policy loads the Rego policies (embedded, plus an operator's
// --policy directory), compiles them once per run into an Engine and
// evaluates the prepared decision query per site. It also runs the policies'
// unit tests and writes them as an OPA bundle.
//
// All decision logic lives in Rego; this package only builds the input,
// maps the result and fails closed (docs/policy-contract.md).
package policy

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/p2pplan/p2pplan/policies"
)

// Source is a set of Rego files and their data, before compilation.
type Source struct {
	Modules map[string]string // file name → Rego source (policies)
	Tests   map[string]string // file name → Rego source (*_test.rego)
	Data    map[string]any    // the merged data documents

	overlays []string // path prefixes of the operator's directories
}

// Embedded returns the policies built into p2pplan.
func Embedded() (*Source, error) {
	src := &Source{Modules: map[string]string{}, Tests: map[string]string{}, Data: map[string]any{}}
	if err := src.add(policies.FS, ".", "policies/"); err != nil {
		return nil, err
	}
	return src, nil
}

// Overlay adds an operator's directory: a .rego file with the name of an
// embedded one replaces it, others are added; data.json files are merged
// over the embedded data (the operator's values win).
func (s *Source) Overlay(dir string) error {
	info, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("policy directory: %w", err)
	}
	if !info.IsDir() {
		return fmt.Errorf("policy directory: %s is not a directory", dir)
	}
	prefix := filepath.ToSlash(filepath.Clean(dir)) + "/"
	s.overlays = append(s.overlays, prefix)
	return s.add(os.DirFS(dir), ".", prefix)
}

// OverlayTests returns a copy of s whose tests are only the operator's:
// the embedded tests check the embedded data, which an operator's data may
// deliberately change, so they run on their own.
func (s *Source) OverlayTests() *Source {
	out := &Source{Modules: s.Modules, Data: s.Data, Tests: map[string]string{}, overlays: s.overlays}
	for name, src := range s.Tests {
		for _, prefix := range s.overlays {
			if strings.HasPrefix(name, prefix) {
				out.Tests[name] = src
			}
		}
	}
	return out
}

func (s *Source) add(fsys fs.FS, root, prefix string) error {
	return fs.WalkDir(fsys, root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		raw, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		name := d.Name()
		switch {
		case strings.HasSuffix(name, "_test.rego"):
			s.replace(s.Tests, prefix+path, name, string(raw))
		case strings.HasSuffix(name, ".rego"):
			s.replace(s.Modules, prefix+path, name, string(raw))
		case name == "data.json":
			var doc map[string]any
			if err := json.Unmarshal(raw, &doc); err != nil {
				return fmt.Errorf("%s%s: %w", prefix, path, err)
			}
			merge(s.Data, doc)
		}
		return nil
	})
}

// replace stores a module under its path, dropping any earlier module with
// the same base name (an operator's file overrides the embedded one).
func (s *Source) replace(m map[string]string, path, base, src string) {
	for k := range m {
		if filepath.Base(k) == base {
			delete(m, k)
		}
	}
	m[path] = src
}

// merge deep-merges src into dst; src wins on conflicts of non-objects.
func merge(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				merge(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
}

// Config is the part of the policy data Go needs itself (the port
// allocator must avoid the same well-known ports the policies deny).
type Config struct {
	WellKnownPorts []int `json:"well_known_ports"`
}

// Config decodes data.p2pplan.config.
func (s *Source) Config() (Config, error) {
	var cfg Config
	p2p, _ := s.Data["p2pplan"].(map[string]any)
	raw, err := json.Marshal(p2p["config"])
	if err != nil {
		return cfg, err
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return cfg, fmt.Errorf("policy data p2pplan.config: %w", err)
	}
	if len(cfg.WellKnownPorts) == 0 {
		return cfg, fmt.Errorf("policy data p2pplan.config.well_known_ports is empty")
	}
	sort.Ints(cfg.WellKnownPorts)
	return cfg, nil
}
