package policy

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/bundle"
	"github.com/open-policy-agent/opa/v1/cover"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
)

// TestReport is the outcome of the policies' Rego unit tests.
type TestReport struct {
	Passed, Failed int
	Failures       []string // "package.test_name: reason", sorted
	// Coverage is the percentage of policy lines (tests excluded) that the
	// tests evaluated, as OPA's coverage report computes it.
	Coverage float64
	// NotCovered lists "file:line" of policy lines no test reached.
	NotCovered []string
}

// testTimeout bounds one Rego test; the policies are small and pure, so a
// test that runs longer is stuck.
const testTimeout = 10 * time.Second

func parseModules(m map[string]string, into map[string]*ast.Module) error {
	for _, name := range slices.Sorted(maps.Keys(m)) {
		mod, err := ast.ParseModuleWithOpts(name, m[name], ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			return err
		}
		into[name] = mod
	}
	return nil
}

// RunTests runs every Rego unit test of src with OPA's tester and measures
// coverage of the policy files.
func RunTests(ctx context.Context, src *Source) (*TestReport, error) {
	policyMods := map[string]*ast.Module{}
	if err := parseModules(src.Modules, policyMods); err != nil {
		return nil, err
	}
	all := map[string]*ast.Module{}
	for k, v := range policyMods {
		all[k] = v
	}
	if err := parseModules(src.Tests, all); err != nil {
		return nil, err
	}
	cov := cover.New()
	ch, err := tester.NewRunner().
		SetStore(inmem.NewFromObject(src.Data)).
		SetModules(all).
		SetCoverageQueryTracer(cov).
		SetTimeout(testTimeout).
		RunTests(ctx, nil)
	if err != nil {
		return nil, err
	}
	rep := &TestReport{}
	for r := range ch {
		name := r.Package + "." + r.Name
		switch {
		case r.Error != nil:
			rep.Failed++
			rep.Failures = append(rep.Failures, fmt.Sprintf("%s: error: %v", name, r.Error))
		case r.Fail:
			rep.Failed++
			rep.Failures = append(rep.Failures, fmt.Sprintf("%s: %s:%d: failed", name, r.Location.File, r.Location.Row))
		case r.Skip:
		default:
			rep.Passed++
		}
	}
	sort.Strings(rep.Failures)
	report := cov.Report(policyMods)
	rep.Coverage = report.Coverage
	for _, file := range slices.Sorted(maps.Keys(report.Files)) {
		for _, rng := range report.Files[file].NotCovered {
			for row := rng.Start.Row; row <= rng.End.Row; row++ {
				rep.NotCovered = append(rep.NotCovered, fmt.Sprintf("%s:%d", file, row))
			}
		}
	}
	return rep, nil
}

// WriteBundle writes the policies and data (tests excluded) as a standard
// OPA bundle (.tar.gz) rooted at `p2pplan`, runnable on any OPA server. The
// bytes are deterministic: OPA's bundle writer stamps no times.
func WriteBundle(w io.Writer, src *Source, revision string) error {
	roots := []string{"p2pplan"}
	v1 := 1
	b := bundle.Bundle{
		Manifest: bundle.Manifest{Revision: revision, Roots: &roots, RegoVersion: &v1},
		Data:     src.Data,
	}
	for _, name := range slices.Sorted(maps.Keys(src.Modules)) {
		mod, err := ast.ParseModuleWithOpts(name, src.Modules[name], ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			return err
		}
		b.Modules = append(b.Modules, bundle.ModuleFile{
			URL: name, Path: name, Raw: []byte(src.Modules[name]), Parsed: mod,
		})
	}
	return bundle.NewWriter(w).Write(b)
}
