// Package generators defines the one interface every generator implements.
//
// A generator only translates: the site plan it receives has been validated by
// the loader and decided by the policies. Generators never see a private key;
// WireGuard keys are referenced by file path.
package generators

import (
	"context"
	"io/fs"

	"github.com/p2pplan/p2pplan/internal/plan"
)

// Artifact is one file a generator produces for a site.
type Artifact struct {
	Path      string      // relative to the output directory, slash-separated
	Data      []byte      // exact bytes to write
	Mode      fs.FileMode // 0600 for anything holding or loading a secret, else 0644
	Sensitive bool        // the file holds a secret: never print or hash it into reports
}

// Generator emits the artifacts of one mode for one site.
type Generator interface {
	// Name identifies the generator in the plan's artifact list.
	Name() string
	// Generate returns the artifacts for sp in the given mode (one of the
	// plan.Mode* constants), or nil when the generator has nothing for that
	// mode. It must be deterministic: same input, same bytes.
	Generate(ctx context.Context, sp *plan.SitePlan, mode string) ([]Artifact, error)
}
