package main

import (
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

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
		Use:   "gen DIR --site NAME [--site NAME...]",
		Short: "Write a WireGuard key pair per site: DIR/NAME.key (0600) and DIR/NAME.pub (0644)",
		Long: "Write a WireGuard key pair per site into DIR (created 0700): NAME.key holds the\n" +
			"private key (0600), NAME.pub the public key (0644). An existing private key is\n" +
			"never overwritten: it is kept and its public key printed again. Only public keys\n" +
			"and file paths are printed.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(sites) == 0 {
				return inputError(errors.New("keys gen: give at least one --site NAME"))
			}
			pairs, err := wgkeys.Generate(args[0], sites)
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
