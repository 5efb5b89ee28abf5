package nftables

import (
	"context"
	"path"

	"github.com/p2pplan/p2pplan/generators"
	"github.com/p2pplan/p2pplan/internal/plan"
)

// Generator emits `<site>/<mode>/nftables.nft` for the pat, ipv6 and vpn
// modes.
type Generator struct{}

// New returns the nftables generator.
func New() Generator { return Generator{} }

var _ generators.Generator = Generator{}

// Name implements generators.Generator.
func (Generator) Name() string { return "nftables" }

// Generate implements generators.Generator: the ruleset is built, validated
// and printed; modes without nftables rules yield nothing.
func (Generator) Generate(ctx context.Context, sp *plan.SitePlan, mode string) ([]generators.Artifact, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rs, err := Build(sp, mode)
	if err != nil || rs == nil {
		return nil, err
	}
	return []generators.Artifact{{
		Path: path.Join(siteName(sp), mode, "nftables.nft"),
		Data: Format(rs),
		Mode: 0o644,
	}}, nil
}
