// Package planner runs one planning pass: it streams sites from the loader
// to workers that share one prepared policy query, then puts the site plans
// back in input order. It is the batch path `plan` and `check` share.
package planner

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sort"
	"sync"

	"github.com/hashicorp/hcl/v2"

	"github.com/p2pplan/p2pplan/internal/measurement"
	"github.com/p2pplan/p2pplan/internal/plan"
	"github.com/p2pplan/p2pplan/internal/policy"
	"github.com/p2pplan/p2pplan/internal/site"
)

// Options of one run.
type Options struct {
	Paths []string
	// Measurements maps a site name to a measurement file
	// (`--measurement SITE=FILE`); it wins over the site's own attribute.
	Measurements map[string]string
	// Workers evaluating policies; 0 means one per CPU.
	Workers int
}

// InputError is bad input: diagnostics to print with their source, or a
// plain error. The CLI exits 2 on it.
type InputError struct {
	Diags hcl.Diagnostics
	Err   error
}

func (e *InputError) Error() string {
	if e.Err != nil {
		return e.Err.Error()
	}
	return e.Diags.Error()
}

// Run loads every site of opts.Paths and decides each with engine. On bad
// input it returns an *InputError and no plan: nothing may be written.
func Run(ctx context.Context, loader *site.Loader, engine *policy.Engine, opts Options) (*plan.Plan, error) {
	files, err := site.Expand(opts.Paths)
	if err != nil {
		return nil, &InputError{Err: err}
	}
	overrides := map[string]*measurement.Measurement{}
	for name, file := range opts.Measurements {
		m, err := measurement.Load(file)
		if err != nil {
			return nil, &InputError{Err: fmt.Errorf("--measurement %s=%s: %w", name, file, err)}
		}
		overrides[name] = m
	}

	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	type job struct {
		seq  int
		site *site.Site
	}
	type result struct {
		seq int
		sp  *plan.SitePlan
		err error
	}
	jobs := make(chan job, workers*4)
	results := make(chan result, workers*4)

	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if ctx.Err() != nil {
					continue
				}
				sp, err := engine.Decide(ctx, j.site)
				results <- result{seq: j.seq, sp: sp, err: err}
			}
		}()
	}

	var (
		diags hcl.Diagnostics
		seen  = map[string]bool{}
	)
	go func() {
		defer func() { close(jobs); wg.Wait(); close(results) }()
		seq := 0
		for _, f := range files {
			diags = append(diags, loader.LoadFile(f, func(s *site.Site) {
				seen[s.Name] = true
				if m, ok := overrides[s.Name]; ok {
					s.Measurement = m
				}
				select {
				case jobs <- job{seq: seq, site: s}:
				case <-ctx.Done():
				}
				seq++
			})...)
			if ctx.Err() != nil {
				return
			}
		}
	}()

	var (
		sites []result
		errs  []error
	)
	for r := range results {
		if r.err != nil {
			errs = append(errs, r.err)
			cancel()
			continue
		}
		sites = append(sites, r)
	}
	// diags is complete: the loader goroutine finished before results closed.
	if diags.HasErrors() {
		return nil, &InputError{Diags: diags}
	}
	for _, name := range slices.Sorted(maps.Keys(overrides)) {
		if !seen[name] {
			return nil, &InputError{Err: fmt.Errorf("--measurement %s=...: no site named %q", name, name)}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	sort.Slice(sites, func(i, j int) bool { return sites[i].seq < sites[j].seq })
	p := &plan.Plan{Version: plan.Version, Sites: make([]*plan.SitePlan, len(sites))}
	for i, r := range sites {
		p.Sites[i] = r.sp
	}
	p.Summarize()
	return p, nil
}
