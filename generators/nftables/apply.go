package nftables

import (
	"bytes"
	"fmt"

	gnft "github.com/google/nftables"
)

// Apply replaces table inet p2pplan in the kernel c talks to with rs, in one
// netlink batch, and returns what changed compared with what the kernel held
// before. With dryRun it only computes the changes. After applying it reads
// the table back and fails unless the kernel now holds exactly rs.
func Apply(c *gnft.Conn, rs *Ruleset, dryRun bool) (Changes, error) {
	n, err := ToNetlink(rs)
	if err != nil {
		return Changes{}, err
	}
	cur, err := ReadKernel(c)
	if err != nil {
		return Changes{}, err
	}
	ch := Compare(cur, &rs.Table)
	if dryRun {
		return ch, nil
	}
	if err := n.Queue(c); err != nil {
		return ch, err
	}
	if err := c.Flush(); err != nil {
		return ch, fmt.Errorf("netlink batch refused, nothing applied: %w", err)
	}
	after, err := ReadKernel(c)
	if err != nil {
		return ch, fmt.Errorf("reading the table back: %w", err)
	}
	if after == nil || !bytes.Equal(FormatTable(sortedTable(after)), FormatTable(sortedTable(&rs.Table))) {
		var got []byte
		if after != nil {
			got = FormatTable(after)
		}
		return ch, fmt.Errorf("the kernel does not hold the ruleset after applying it:\n%s", got)
	}
	return ch, nil
}
