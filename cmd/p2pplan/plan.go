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
	cmd.Flags().StringArrayVar(&f.measurements, "measurement", nil, "SITE=FILE: use this `p2pplan probe --json` output for SITE (repeatable)")
	cmd.Flags().IntVar(&f.workers, "workers", 0, "policy evaluation workers (0: one per CPU)")
}

func newPlanCmd() *cobra.Command {
	var f decideFlags
	cmd := &cobra.Command{
		Use:   "plan PATH...",
		Short: "Decide every site and write the chosen setup's artifacts",
		Long: "Load sites (files or directories), merge measurements, decide with the policies,\n" +
			"and print a report. Exit 0: decided, nothing denied; 1: a policy denial; 2: bad input.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return decide(cmd, args, f)
		},
	}
	f.bind(cmd)
	return cmd
}

func newCheckCmd() *cobra.Command {
	var f decideFlags
	cmd := &cobra.Command{
		Use:   "check PATH...",
		Short: "Decide every site, write nothing (for CI gates)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return decide(cmd, args, f)
		},
	}
	f.bind(cmd)
	return cmd
}

// decide is the shared path of plan and check: nothing is written unless
// every input is valid.
func decide(cmd *cobra.Command, args []string, f decideFlags) error {
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
	engine, err := loadEngine(ctx, f.policyDir)
	if err != nil {
		return err
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
	if err := w.Write(cmd.OutOrStdout(), p); err != nil {
		return envError(err)
	}
	if p.Denied() {
		return deniedExit()
	}
	return nil
}

func loadEngine(ctx context.Context, dir string) (*policy.Engine, error) {
	src, err := policySource(dir)
	if err != nil {
		return nil, err
	}
	engine, err := policy.Compile(ctx, src)
	if err != nil {
		return nil, inputError(err)
	}
	return engine, nil
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
