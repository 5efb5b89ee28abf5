package main

import (
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/p2pplan/p2pplan/internal/site"
	"github.com/p2pplan/p2pplan/internal/wgkeys"
)

func init() { register("keys", newKeysCmd) }

func newKeysCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "Manage the sites' WireGuard key pairs"}
	cmd.AddCommand(newKeysGenCmd())
	return cmd
}

func newKeysGenCmd() *cobra.Command {
	var sites []string
	cmd := &cobra.Command{
		Use:   "gen DIR [--site NAME...] [PATH...]",
		Short: "Write a WireGuard key pair per site: DIR/NAME.key (0600) and DIR/NAME.pub (0644)",
		Long: "Write a WireGuard key pair per site into DIR (created 0700): NAME.key holds the\n" +
			"private key (0600), NAME.pub the public key (0644). An existing private key is\n" +
			"never overwritten: it is kept and its public key printed again. Only public keys\n" +
			"and file paths are printed.\n\n" +
			"Sites are named with --site, or taken from site files (PATH...): every site\n" +
			"with a vpn block gets a key pair.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			names := append([]string{}, sites...)
			if len(args) > 1 {
				fromFiles, err := vpnSiteNames(cmd, args[1:])
				if err != nil {
					return err
				}
				names = append(names, fromFiles...)
			}
			if len(names) == 0 {
				return inputError(errors.New("keys gen: give --site NAME or site files with a vpn block"))
			}
			pairs, err := wgkeys.Generate(args[0], names)
			if err != nil {
				if errors.Is(err, wgkeys.ErrInvalidName) {
					return inputError(err)
				}
				return envError(err)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "SITE\tPUBLIC KEY\tPRIVATE KEY FILE\tSTATUS")
			for _, p := range pairs {
				status := "kept"
				if p.Created {
					status = "created"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", p.Name, p.PublicKey, p.PrivateKeyFile, status)
			}
			return w.Flush()
		},
	}
	cmd.Flags().StringArrayVar(&sites, "site", nil, "site name to make a key pair for (repeatable)")
	return cmd
}

// vpnSiteNames loads site files and returns, in file order, the sites that
// have a vpn block. Bad input is reported as by `check` (exit 2).
func vpnSiteNames(cmd *cobra.Command, paths []string) ([]string, error) {
	files, err := site.Expand(paths)
	if err != nil {
		return nil, inputError(err)
	}
	loader := site.NewLoader()
	var names []string
	var diags hcl.Diagnostics
	for _, f := range files {
		diags = append(diags, loader.LoadFile(f, func(s *site.Site) {
			if s.VPN != nil {
				names = append(names, s.Name)
			}
		})...)
	}
	if diags.HasErrors() {
		_ = loader.WriteDiagnostics(cmd.ErrOrStderr(), diags, diagWidth(cmd.ErrOrStderr()), false)
		return nil, &exitError{code: exitInput}
	}
	return names, nil
}
