// Package policies embeds the Rego policies and their data. The .rego files
// are plain Rego v1: `opa test policies/` runs them as they are.
package policies

import "embed"

// FS holds the policies (*.rego, with their *_test.rego unit tests) and
// data.json (`data.p2pplan.config`).
//
//go:embed *.rego data.json
var FS embed.FS
