// Package report renders a plan in the output formats of SPEC §2/§7. Each
// format is one small writer in its own file; all are deterministic.
package report

import (
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/p2pplan/p2pplan/internal/plan"
)

// Writer renders a whole plan.
type Writer interface {
	Write(w io.Writer, p *plan.Plan) error
}

// writers is the registry of formats, by --format name.
var writers = map[string]Writer{
	"text":     textWriter{},
	"json":     jsonWriter{},
	"sarif":    sarifWriter{},
	"junit":    junitWriter{},
	"markdown": markdownWriter{},
}

// Formats lists the format names, sorted.
func Formats() []string { return slices.Sorted(maps.Keys(writers)) }

// For returns the writer of a format.
func For(format string) (Writer, error) {
	w, ok := writers[format]
	if !ok {
		return nil, fmt.Errorf("unknown format %q (use one of %v)", format, Formats())
	}
	return w, nil
}
