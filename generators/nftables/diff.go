package nftables

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Line is one line of a diff: Op is ' ' (unchanged), '-' (only in the old
// text) or '+' (only in the new one).
type Line struct {
	Op   byte
	Text string
}

// DiffLines is a longest-common-subsequence line diff. Rulesets are a few
// hundred lines at most, so the quadratic table is fine.
func DiffLines(a, b []string) []Line {
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []Line
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			out = append(out, Line{' ', a[i]})
			i, j = i+1, j+1
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			// Removals first, as in a unified diff.
			out = append(out, Line{'-', a[i]})
			i++
		default:
			out = append(out, Line{'+', b[j]})
			j++
		}
	}
	return out
}

// Changes is what applying a table over another would change.
type Changes struct {
	Lines         []Line // the whole table text with markers
	RulesAdded    int
	RulesRemoved  int
	ChainsAdded   int
	ChainsRemoved int
	ChainsChanged int // type, hook, priority or policy differ
	SetsAdded     int
	SetsRemoved   int
	SetsChanged   int
}

// Empty reports whether nothing would change.
func (c Changes) Empty() bool {
	return c.RulesAdded+c.RulesRemoved+c.ChainsAdded+c.ChainsRemoved+c.ChainsChanged+
		c.SetsAdded+c.SetsRemoved+c.SetsChanged == 0
}

// Summary is a one-line account of the changes.
func (c Changes) Summary() string {
	if c.Empty() {
		return "no changes"
	}
	var parts []string
	add := func(n int, noun, verb string) {
		switch {
		case n == 1:
			parts = append(parts, fmt.Sprintf("1 %s %s", noun, verb))
		case n > 1:
			parts = append(parts, fmt.Sprintf("%d %ss %s", n, noun, verb))
		}
	}
	add(c.RulesAdded, "rule", "added")
	add(c.RulesRemoved, "rule", "removed")
	add(c.ChainsAdded, "chain", "added")
	add(c.ChainsRemoved, "chain", "removed")
	add(c.ChainsChanged, "chain", "changed")
	add(c.SetsAdded, "set", "added")
	add(c.SetsRemoved, "set", "removed")
	add(c.SetsChanged, "set", "changed")
	return strings.Join(parts, ", ")
}

// Compare diffs the table in the kernel (old, nil when absent) against the
// table to apply (new), both rendered by FormatTable. Sets and chains are
// compared by name and shown sorted by name, so the order the kernel lists
// them in does not show up as a change.
func Compare(old, new *Table) Changes {
	var c Changes
	o, n := sortedTable(old), sortedTable(new)
	var oldLines []string
	if old != nil {
		oldLines = splitLines(FormatTable(o))
	}
	c.Lines = DiffLines(oldLines, splitLines(FormatTable(n)))

	oldSets := map[string]string{}
	for _, s := range o.Sets {
		oldSets[s.Name] = string(FormatTable(&Table{Sets: []Set{s}}))
	}
	for _, s := range n.Sets {
		was, ok := oldSets[s.Name]
		switch {
		case !ok:
			c.SetsAdded++
		case was != string(FormatTable(&Table{Sets: []Set{s}})):
			c.SetsChanged++
		}
		delete(oldSets, s.Name)
	}
	c.SetsRemoved = len(oldSets)

	oldChains := map[string]Chain{}
	for _, ch := range o.Chains {
		oldChains[ch.Name] = ch
	}
	for _, ch := range n.Chains {
		was, ok := oldChains[ch.Name]
		delete(oldChains, ch.Name)
		if !ok {
			c.ChainsAdded++
			c.RulesAdded += len(ch.Rules)
			continue
		}
		if was.Type != ch.Type || was.Hook != ch.Hook || was.Priority != ch.Priority || was.Policy != ch.Policy {
			c.ChainsChanged++
		}
		for _, l := range DiffLines(ruleLines(was), ruleLines(ch)) {
			switch l.Op {
			case '+':
				c.RulesAdded++
			case '-':
				c.RulesRemoved++
			}
		}
	}
	for _, ch := range oldChains {
		c.ChainsRemoved++
		c.RulesRemoved += len(ch.Rules)
	}
	return c
}

func sortedTable(t *Table) *Table {
	if t == nil {
		return &Table{}
	}
	s := &Table{Sets: slices.Clone(t.Sets), Chains: slices.Clone(t.Chains)}
	slices.SortStableFunc(s.Sets, func(a, b Set) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortStableFunc(s.Chains, func(a, b Chain) int { return cmp.Compare(a.Name, b.Name) })
	return s
}

func ruleLines(c Chain) []string {
	out := make([]string, len(c.Rules))
	for i, r := range c.Rules {
		out[i] = FormatRule(r)
	}
	return out
}

func splitLines(b []byte) []string {
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}
