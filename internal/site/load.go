package site

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
)

// Loader parses site files one at a time and keeps them, so diagnostics can
// be printed with their source lines (HCL's diagnostic text writer).
type Loader struct {
	parser *hclparse.Parser
	names  map[string]hcl.Range // site names of the run: they become directory names
}

// NewLoader returns a loader for one run.
func NewLoader() *Loader {
	return &Loader{parser: hclparse.NewParser(), names: map[string]hcl.Range{}}
}

// Expand resolves the command-line paths to site files: a file is taken as
// it is, a directory contributes its *.hcl files (recursively, sorted,
// skipping hidden entries). Order is deterministic.
func Expand(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("site path %s: %w", p, err)
		}
		if !info.IsDir() {
			out = append(out, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if path != p && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.IsDir() && strings.HasSuffix(d.Name(), ".hcl") {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("site path %s: %w", p, err)
		}
		sort.Strings(found)
		if len(found) == 0 {
			return nil, fmt.Errorf("site path %s: no .hcl files", p)
		}
		out = append(out, found...)
	}
	return out, nil
}

// LoadFile parses one file and calls emit for each valid site, in file
// order. A site with any error is not emitted; its diagnostics are returned.
func (l *Loader) LoadFile(path string, emit func(*Site)) hcl.Diagnostics {
	file, diags := l.parser.ParseHCLFile(path)
	if diags.HasErrors() {
		return diags
	}
	content, d := file.Body.Content(fileSchema)
	diags = append(diags, d...)
	if content == nil {
		return diags
	}
	ctx, d := fileContext(content)
	diags = append(diags, d...)
	if d.HasErrors() {
		return diags
	}
	sites := 0
	for _, blk := range content.Blocks {
		if blk.Type != "site" {
			continue
		}
		sites++
		instances, d := expandSite(blk, ctx)
		diags = append(diags, d...)
		for _, inst := range instances {
			s, d := decodeSite(blk, inst.name, inst.ctx)
			diags = append(diags, d...)
			if prev, dup := l.names[s.Name]; dup {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Duplicate site name",
					Detail:   fmt.Sprintf("A site named %q is already defined at %s; site names must be unique in a run.", s.Name, prev),
					Subject:  blk.LabelRanges[0].Ptr(),
				})
				continue
			}
			l.names[s.Name] = blk.DefRange
			if !d.HasErrors() {
				emit(s)
			}
		}
	}
	if sites == 0 {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "No site",
			Detail:   fmt.Sprintf("%s has no site block; run `p2pplan init` for a starter file.", path),
			Subject:  &hcl.Range{Filename: path, Start: hcl.InitialPos, End: hcl.InitialPos},
		})
	}
	return diags
}

// WriteDiagnostics prints diagnostics sorted by file and position, each with
// its source line.
func (l *Loader) WriteDiagnostics(w io.Writer, diags hcl.Diagnostics, width uint, color bool) error {
	sorted := append(hcl.Diagnostics{}, diags...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i].Subject, sorted[j].Subject
		switch {
		case a == nil || b == nil:
			return a != nil && b == nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		case a.Start.Line != b.Start.Line:
			return a.Start.Line < b.Start.Line
		default:
			return a.Start.Column < b.Start.Column
		}
	})
	return hcl.NewDiagnosticTextWriter(w, l.parser.Files(), width, color).WriteDiagnostics(sorted)
}
