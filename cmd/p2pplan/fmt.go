package main

import (
	"bytes"
	"fmt"
	"os"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/spf13/cobra"

	"github.com/p2pplan/p2pplan/internal/site"
)

func init() { register("fmt", newFmtCmd) }

func newFmtCmd() *cobra.Command {
	var check bool
	cmd := &cobra.Command{
		Use:   "fmt PATH...",
		Short: "Rewrite site files in HCL's canonical format (--check: list the files that are not)",
		Long: "Formats site files (or the *.hcl files of directories) in place. With --check nothing\n" +
			"is written; the command lists unformatted files and exits 1 if there are any.\n" +
			"A file that does not parse is not touched (exit 2).",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			files, err := site.Expand(args)
			if err != nil {
				return inputError(err)
			}
			// Parse everything first: a syntax error anywhere means no file
			// is rewritten.
			parser := hclparse.NewParser()
			var diags hcl.Diagnostics
			sources := map[string][]byte{}
			for _, f := range files {
				raw, err := os.ReadFile(f)
				if err != nil {
					return inputError(err)
				}
				_, d := parser.ParseHCL(raw, f)
				diags = append(diags, d...)
				sources[f] = raw
			}
			if diags.HasErrors() {
				_ = hcl.NewDiagnosticTextWriter(cmd.ErrOrStderr(), parser.Files(), 0, false).WriteDiagnostics(diags)
				return &exitError{code: exitInput}
			}
			unformatted := 0
			for _, f := range files {
				formatted := hclwrite.Format(sources[f])
				if bytes.Equal(formatted, sources[f]) {
					continue
				}
				unformatted++
				fmt.Fprintln(cmd.OutOrStdout(), f)
				if check {
					continue
				}
				info, err := os.Stat(f)
				if err != nil {
					return envError(err)
				}
				if err := writeFileAtomic(f, formatted, info.Mode().Perm()); err != nil {
					return err
				}
			}
			if check && unformatted > 0 {
				return &exitError{code: exitDenied, err: fmt.Errorf("%d file(s) not in canonical format", unformatted)}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&check, "check", false, "do not write; exit 1 if a file is not formatted")
	return cmd
}
