package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/p2pplan/p2pplan/generators/registry"
	"github.com/p2pplan/p2pplan/internal/outdir"
	"github.com/p2pplan/p2pplan/internal/plan"
	"github.com/p2pplan/p2pplan/internal/planner"
	"github.com/p2pplan/p2pplan/internal/policy"
	"github.com/p2pplan/p2pplan/internal/report"
	"github.com/p2pplan/p2pplan/internal/site"
)

func init() {
	register("plan", newPlanCmd)
	register("check", newCheckCmd)
}

// decideFlags are the flags plan and check share.
type decideFlags struct {
	format       string
	policyDir    string
	measurements []string
	workers      int
}

func (f *decideFlags) bind(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.format, "format", "", "report format: "+strings.Join(report.Formats(), "|")+" (text on a terminal, json otherwise)")
	cmd.Flags().StringVar(&f.policyDir, "policy", "", "directory of extra or overriding Rego policies and data.json")
	cmd.Flags().StringArrayVar(&f.measurements, "measurement", nil, "use `SITE=FILE`: FILE (the output of p2pplan probe --json) for site SITE (repeatable)")
	cmd.Flags().IntVar(&f.workers, "workers", 0, "policy evaluation workers (0: one per CPU)")
}

// outFlags are plan's own flags.
type outFlags struct {
	out             string
	allAlternatives bool
	keys            string
}

func newPlanCmd() *cobra.Command {
	var f decideFlags
	var o outFlags
	cmd := &cobra.Command{
		Use:   "plan PATH...",
		Short: "Decide every site and write the chosen setup's artifacts",
		Long: "Load sites (files or directories), merge measurements, decide with the policies,\n" +
			"and print a report. Exit 0: decided, nothing denied; 1: a policy denial; 2: bad input.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return decide(cmd, args, f, &o)
		},
	}
	f.bind(cmd)
	cmd.Flags().StringVar(&o.out, "out", "", "directory to write the artifacts to (all-or-nothing); without it nothing is written")
	cmd.Flags().BoolVar(&o.allAlternatives, "all-alternatives", false, "generate every applicable alternative, not only the chosen mode")
	cmd.Flags().StringVar(&o.keys, "keys", "", "directory of the sites' WireGuard public keys (default: keys/ beside each site file)")
	return cmd
}

func newCheckCmd() *cobra.Command {
	var f decideFlags
	cmd := &cobra.Command{
		Use:   "check PATH...",
		Short: "Decide every site, write nothing (for CI gates)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return decide(cmd, args, f, nil)
		},
	}
	f.bind(cmd)
	return cmd
}

// decide is the shared path of plan and check (o is nil for check): nothing
// is written unless every input is valid and every generator succeeded.
func decide(cmd *cobra.Command, args []string, f decideFlags, o *outFlags) error {
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	w, err := report.For(reportFormat(f.format, cmd.OutOrStdout()))
	if err != nil {
		return inputError(err)
	}
	measurements, err := parseMeasurementFlags(f.measurements)
	if err != nil {
		return inputError(err)
	}
	src, err := policySource(f.policyDir)
	if err != nil {
		return err
	}
	engine, err := policy.Compile(ctx, src)
	if err != nil {
		return inputError(err)
	}
	loader := site.NewLoader()
	p, err := planner.Run(ctx, loader, engine, planner.Options{
		Paths: args, Measurements: measurements, Workers: f.workers,
	})
	if err != nil {
		var ie *planner.InputError
		if errors.As(err, &ie) {
			if ie.Diags.HasErrors() {
				_ = loader.WriteDiagnostics(cmd.ErrOrStderr(), ie.Diags, diagWidth(cmd.ErrOrStderr()), false)
				return &exitError{code: exitInput}
			}
			return inputError(ie.Err)
		}
		return err
	}
	if o != nil {
		if err := generate(ctx, p, src, *o, cmd.ErrOrStderr()); err != nil {
			return err
		}
	}
	if err := w.Write(cmd.OutOrStdout(), p); err != nil {
		return envError(err)
	}
	if p.Denied() {
		return deniedExit()
	}
	return nil
}

// generate runs the generators and, with --out, writes their artifacts.
// A generator that refuses a site (e.g. no port left in a shared range) is
// bad input: nothing is written.
func generate(ctx context.Context, p *plan.Plan, src *policy.Source, o outFlags, stderr io.Writer) error {
	cfg, err := src.Config()
	if err != nil {
		return inputError(err)
	}
	files, err := planner.Generate(ctx, p, planner.GenerateOptions{
		AllAlternatives: o.allAlternatives,
		KeysDir:         o.keys,
		WellKnownPorts:  cfg.WellKnownPorts,
		Generators:      registry.All(),
	})
	if err != nil {
		return inputError(err)
	}
	if o.out == "" {
		if len(files) > 0 {
			fmt.Fprintf(stderr, "p2pplan: %d artifact(s) generated and checked; none written (give --out DIR)\n", len(files))
		}
		return nil
	}
	if err := outdir.Write(o.out, files); err != nil {
		if errors.Is(err, outdir.ErrNotOurs) {
			return inputError(fmt.Errorf("--out %w", err))
		}
		return envError(fmt.Errorf("writing %s: %w", o.out, err))
	}
	return nil
}

func policySource(dir string) (*policy.Source, error) {
	src, err := policy.Embedded()
	if err != nil {
		return nil, fmt.Errorf("embedded policies: %w", err)
	}
	if dir != "" {
		if err := src.Overlay(dir); err != nil {
			return nil, inputError(err)
		}
	}
	return src, nil
}

func parseMeasurementFlags(vals []string) (map[string]string, error) {
	out := map[string]string{}
	for _, v := range vals {
		name, file, ok := strings.Cut(v, "=")
		if !ok || name == "" || file == "" {
			return nil, fmt.Errorf("--measurement %q: want SITE=FILE", v)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("--measurement: site %q given twice", name)
		}
		out[name] = file
	}
	return out, nil
}

// reportFormat applies SPEC §2: text by default on a terminal; a pipeline
// (not a terminal) gets JSON.
func reportFormat(flag string, out io.Writer) string {
	if flag != "" {
		return flag
	}
	if isTerminal(out) {
		return "text"
	}
	return "json"
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func diagWidth(w io.Writer) uint {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if width, _, err := term.GetSize(int(f.Fd())); err == nil && width > 0 {
			return uint(width)
		}
	}
	return 0 // no wrapping: stable output for logs and tests
}
