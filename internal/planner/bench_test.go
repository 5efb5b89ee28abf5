package planner

import (
	"context"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/p2pplan/p2pplan/internal/policy"
	"github.com/p2pplan/p2pplan/internal/randsite"
	"github.com/p2pplan/p2pplan/internal/site"
)

// BenchmarkRun plans 1,000 random sites from one file per iteration
// (loader, policy evaluation on every CPU; no generators): the batch path a
// later capability scales to 100,000 sites. Report ns/op ÷ 1,000 per site.
func BenchmarkRun(b *testing.B) {
	ctx := context.Background()
	src, err := policy.Embedded()
	if err != nil {
		b.Fatal(err)
	}
	engine, err := policy.Compile(ctx, src)
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewSource(1))
	f := hclwrite.NewEmptyFile()
	for i := 0; i < 1000; i++ {
		s := randsite.Site(r, i)
		randomize(r, s, i%500)
		writeHCL(f.Body(), s)
	}
	file := filepath.Join(b.TempDir(), "sites.hcl")
	if err := os.WriteFile(file, f.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Run(ctx, site.NewLoader(), engine, Options{Paths: []string{file}}); err != nil {
			b.Fatal(err)
		}
	}
}
