package report

import (
	"encoding/json"
	"io"

	"github.com/p2pplan/p2pplan/internal/plan"
)

// jsonWriter writes the plan object of SPEC §7. It holds no secrets: the
// plan type carries key file paths and public keys only.
type jsonWriter struct{}

func (jsonWriter) Write(w io.Writer, p *plan.Plan) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(p)
}
