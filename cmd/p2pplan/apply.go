package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	gnft "github.com/google/nftables"
	"github.com/spf13/cobra"
	"github.com/vishvananda/netns"

	"github.com/p2pplan/p2pplan/generators/nftables"
)

func init() { register("apply", newApplyCmd) }

func newApplyCmd() *cobra.Command {
	var (
		ruleset, nsName string
		dryRun          bool
	)
	cmd := &cobra.Command{
		Use:   "apply --ruleset FILE [--netns NAME] [--dry-run]",
		Short: "Apply a generated nftables ruleset through netlink, atomically",
		Long: `Apply replaces table inet p2pplan — and nothing else — with the ruleset in
FILE, in one netlink batch: the kernel takes all of it or none of it. FILE is
the nftables.nft a p2pplan generator wrote; anything p2pplan would not have
written (another table, a port range, a jump) is refused with file:line.

It prints what changes compared with the table in the kernel now (read back
through netlink and printed the way the generator prints), then applies.
With --dry-run it prints the changes only.

Exit codes: 2 when FILE is unreadable or not a p2pplan ruleset, 3 when the
namespace is missing or netlink refuses.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runApply(cmd.OutOrStdout(), ruleset, nsName, dryRun)
		},
	}
	cmd.Flags().StringVar(&ruleset, "ruleset", "", "the nftables.nft file to apply (required)")
	cmd.Flags().StringVar(&nsName, "netns", "", "apply inside this named network namespace (ip netns) instead of the current one")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "show the changes without applying them")
	_ = cmd.MarkFlagRequired("ruleset")
	return cmd
}

func runApply(w io.Writer, file, nsName string, dryRun bool) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return inputError(err)
	}
	rs, err := nftables.Parse(file, data)
	if err != nil {
		return inputError(err)
	}
	var opts []gnft.ConnOption
	where := "the current network namespace"
	if nsName != "" {
		// A name, not a path: it is looked up under /run/netns only.
		if strings.ContainsAny(nsName, "/\x00") || nsName == "." || nsName == ".." {
			return inputError(fmt.Errorf("--netns %q: a namespace name, not a path", nsName))
		}
		h, err := netns.GetFromName(nsName)
		if err != nil {
			return envError(fmt.Errorf("network namespace %s: %w", nsName, err))
		}
		defer h.Close()
		opts = append(opts, gnft.WithNetNSFd(int(h)))
		where = "network namespace " + nsName
	}
	c, err := gnft.New(opts...)
	if err != nil {
		return envError(fmt.Errorf("netlink: %w", err))
	}
	changes, err := nftables.Apply(c, rs, dryRun)
	if err != nil {
		return envError(fmt.Errorf("%s: %w", where, err))
	}
	writeChanges(w, file, changes)
	switch {
	case dryRun:
		fmt.Fprintf(w, "dry run, nothing applied to table inet %s in %s: %s\n", nftables.TableName, where, changes.Summary())
	default:
		fmt.Fprintf(w, "applied table inet %s in %s: %s\n", nftables.TableName, where, changes.Summary())
	}
	return nil
}

// writeChanges prints the changed lines, each group preceded by the set or
// chain it belongs to, like a diff with structural context.
func writeChanges(w io.Writer, file string, ch nftables.Changes) {
	if ch.Empty() {
		return
	}
	fmt.Fprintf(w, "--- kernel: table inet %s\n+++ %s\n", nftables.TableName, file)
	var context string
	for _, l := range ch.Lines {
		text := strings.ReplaceAll(l.Text, "\t", "  ")
		if l.Op == ' ' {
			t := strings.TrimSpace(l.Text)
			if strings.HasSuffix(t, "{") && (strings.HasPrefix(t, "set ") || strings.HasPrefix(t, "chain ") || strings.HasPrefix(t, "table ")) {
				context = text
			}
			continue
		}
		if context != "" {
			fmt.Fprintf(w, "  %s\n", context)
			context = ""
		}
		fmt.Fprintln(w, strings.TrimRight(string(l.Op)+" "+text, " "))
	}
}
