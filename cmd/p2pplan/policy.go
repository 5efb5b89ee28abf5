package main

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/p2pplan/p2pplan/internal/policy"
)

func init() { register("policy", newPolicyCmd) }

// minCoverage is the share of policy lines the Rego unit tests must reach
// (issue 2: at least 90%).
const minCoverage = 90.0

func newPolicyCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "policy", Short: "Test the policies or export them as an OPA bundle"}
	cmd.AddCommand(newPolicyTestCmd(), newPolicyBundleCmd())
	return cmd
}

func newPolicyTestCmd() *cobra.Command {
	var verbose bool
	cmd := &cobra.Command{
		Use:   "test [DIR]",
		Short: "Run the Rego unit tests of the embedded policies (and of a policy directory)",
		Args:  cobra.MaximumNArgs(1),
		Long: "Runs the embedded policies' Rego unit tests against the embedded data, and checks\n" +
			"they cover at least 90% of policy lines. With DIR, also runs DIR's *_test.rego\n" +
			"against the policies and data as DIR changes them (what `plan --policy DIR` uses).",
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			embedded, err := policySource("")
			if err != nil {
				return err
			}
			rep, err := policy.RunTests(cmd.Context(), embedded)
			if err != nil {
				return inputError(err)
			}
			printTestReport(out, "embedded policies", rep, verbose)
			fmt.Fprintf(out, "coverage: %.1f%% of policy lines\n", rep.Coverage)
			passed, failed := rep.Passed, rep.Failed
			if len(args) == 1 {
				merged, err := policySource(args[0])
				if err != nil {
					return err
				}
				orep, err := policy.RunTests(cmd.Context(), merged.OverlayTests())
				if err != nil {
					return inputError(err)
				}
				printTestReport(out, args[0], orep, false)
				passed, failed = passed+orep.Passed, failed+orep.Failed
			}
			fmt.Fprintf(out, "%d passed, %d failed\n", passed, failed)
			if failed > 0 {
				return &exitError{code: exitDenied, err: fmt.Errorf("%d policy test(s) failed", failed)}
			}
			if rep.Coverage < minCoverage {
				return &exitError{code: exitDenied, err: fmt.Errorf("policy coverage %.1f%% is below %.0f%%", rep.Coverage, minCoverage)}
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "list the policy lines no test reaches")
	return cmd
}

func printTestReport(out io.Writer, what string, rep *policy.TestReport, verbose bool) {
	for _, f := range rep.Failures {
		fmt.Fprintln(out, "FAIL", f)
	}
	if verbose {
		for _, l := range rep.NotCovered {
			fmt.Fprintln(out, "not covered:", l)
		}
	}
	fmt.Fprintf(out, "%s: %d passed, %d failed\n", what, rep.Passed, rep.Failed)
}

func newPolicyBundleCmd() *cobra.Command {
	var out, dir, revision string
	cmd := &cobra.Command{
		Use:   "bundle -o FILE",
		Short: "Write the policies and their data as a standard OPA bundle",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return inputError(fmt.Errorf("-o FILE is required"))
			}
			src, err := policySource(dir)
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if err := policy.WriteBundle(&buf, src, revision); err != nil {
				return inputError(err)
			}
			return writeFileAtomic(out, buf.Bytes(), 0o644)
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "bundle file to write (.tar.gz)")
	cmd.Flags().StringVar(&dir, "policy", "", "directory of extra or overriding Rego policies")
	cmd.Flags().StringVar(&revision, "revision", "", "bundle revision to record in the manifest")
	return cmd
}

// writeFileAtomic writes through a temporary file in the same directory and
// renames it, so a reader never sees half a file.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(dirOf(path), ".p2pplan-*")
	if err != nil {
		return envError(err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return envError(err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return envError(err)
	}
	if err := tmp.Close(); err != nil {
		return envError(err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return envError(err)
	}
	return nil
}
