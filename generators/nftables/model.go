// Package nftables is p2pplan's nftables generator.
//
// A ruleset is a typed model (this file): one table `inet p2pplan` owned by
// p2pplan, its interval sets and base chains, and rules made of small typed
// matches and one statement. The same model is
//   - validated before anything is rendered (Validate, the "base step" every
//     generator's output goes through, as in Aerleon),
//   - rendered to `nft -f` text by one printer (Format),
//   - read back from that text by a strict parser of the printer's grammar
//     (Parse), so `p2pplan apply` takes the very file `nft -f` takes,
//   - converted to github.com/google/nftables objects (ToNetlink) and read
//     back from the kernel (ReadKernel).
//
// Text is never glued together from unstructured pieces: every token comes
// from a typed field, and the only free text (rule comments and the title)
// goes through one sanitiser.
package nftables

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
)

// TableName is the only table p2pplan ever writes, reads or deletes. The
// family is always inet so one table holds IPv4 and IPv6 rules.
const TableName = "p2pplan"

// WireGuardInterface is the gateway's tunnel interface the vpn mode forwards
// from (at most 15 characters: IFNAMSIZ-1).
const WireGuardInterface = "wg-p2pplan"

// Ruleset is one `nft -f` file: a title line and the p2pplan table.
type Ruleset struct {
	Title string // free text for the header comment, sanitised when printed
	Table Table
}

// Table is `table inet p2pplan`.
type Table struct {
	Sets   []Set
	Chains []Chain
}

// AddrType is the key type of a set.
type AddrType string

// Set key types.
const (
	IPv4Addr AddrType = "ipv4_addr"
	IPv6Addr AddrType = "ipv6_addr"
)

// Set is a named interval set of prefixes (`flags interval`). Elements are
// kept canonical (NormalizePrefixes) so the text, the kernel and the model
// agree element for element.
type Set struct {
	Name     string
	Type     AddrType
	Elements []netip.Prefix
}

// ChainType, Hook and Policy are the base-chain attributes.
type (
	ChainType string
	Hook      string
	Policy    string
)

// Values used by p2pplan.
const (
	ChainFilter ChainType = "filter"
	ChainNAT    ChainType = "nat"

	HookPrerouting  Hook = "prerouting"
	HookInput       Hook = "input"
	HookForward     Hook = "forward"
	HookOutput      Hook = "output"
	HookPostrouting Hook = "postrouting"

	PolicyAccept Policy = "accept"
	PolicyDrop   Policy = "drop"
)

// Standard priorities (nft's names for them).
const (
	PriorityDstNAT = -100
	PriorityFilter = 0
	PrioritySrcNAT = 100
)

// Chain is a base chain.
type Chain struct {
	Name     string
	Type     ChainType
	Hook     Hook
	Priority int
	Policy   Policy
	Rules    []Rule
}

// Rule is a conjunction of matches followed by one statement.
type Rule struct {
	Matches   []Match
	Statement Statement
	Comment   string // sanitised when printed; builders put names only here

	// Unknown describes a kernel rule the decoder could not map onto this
	// model (someone edited our table by hand). It is only ever set by
	// ReadKernel, printed as a comment line in diffs, and refused by Validate.
	Unknown string
}

// Match is one typed match of a rule.
type Match interface{ isMatch() }

// Dir selects the source or destination address.
type Dir string

// Address directions.
const (
	Src Dir = "saddr"
	Dst Dir = "daddr"
)

// Proto is a transport protocol.
type Proto string

// Transport protocols: a forwarded flow always names exactly one.
const (
	TCP Proto = "tcp"
	UDP Proto = "udp"
)

// IIFName matches the input interface by name: `iifname "wg-p2pplan"`.
type IIFName struct{ Name string }

// Addr matches an address or prefix: `ip saddr 198.51.100.0/24`. The family
// (ip or ip6) is the prefix's.
type Addr struct {
	Dir    Dir
	Prefix netip.Prefix
}

// AddrSet matches against a named set: `ip saddr @clients4`.
type AddrSet struct {
	Family Family
	Dir    Dir
	Set    string
}

// Port matches one destination port of one protocol: `tcp dport 40001`.
// There is deliberately no range form.
type Port struct {
	Proto Proto
	Port  uint16
}

// CtState matches conntrack states: `ct state established,related`.
type CtState struct{ States []string }

// CtStatusDNAT matches flows that went through a DNAT: `ct status dnat`, so a
// forward accept only admits what the prerouting chain translated.
type CtStatusDNAT struct{}

func (IIFName) isMatch()      {}
func (Addr) isMatch()         {}
func (AddrSet) isMatch()      {}
func (Port) isMatch()         {}
func (CtState) isMatch()      {}
func (CtStatusDNAT) isMatch() {}

// Family is a network family of a match.
type Family string

// Network families.
const (
	IP  Family = "ip"
	IP6 Family = "ip6"
)

// FamilyOf returns the family of an address.
func FamilyOf(a netip.Addr) Family {
	if a.Is4() {
		return IP
	}
	return IP6
}

// Statement ends a rule.
type Statement interface{ isStatement() }

// Accept and Drop are verdicts.
type (
	Accept struct{}
	Drop   struct{}
)

// DNAT translates the destination to one address and one port:
// `dnat ip to 192.168.1.108:37777`.
type DNAT struct {
	Addr netip.Addr
	Port uint16
}

func (Accept) isStatement() {}
func (Drop) isStatement()   {}
func (DNAT) isStatement()   {}

// ctStates are the conntrack states the model knows, in nft's print order.
var ctStates = []string{"invalid", "established", "related", "new", "untracked"}

var (
	identRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
	ifnameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$`)
)

// ValidationError locates a Validate failure: a set, or a chain and
// optionally one of its rules (1-based), so Parse can point at the line.
type ValidationError struct {
	Set   string
	Chain string
	Rule  int
	Err   error
}

func (e *ValidationError) Error() string {
	switch {
	case e.Set != "":
		return fmt.Sprintf("set %s: %v", e.Set, e.Err)
	case e.Rule > 0:
		return fmt.Sprintf("chain %s: rule %d: %v", e.Chain, e.Rule, e.Err)
	case e.Chain != "":
		return fmt.Sprintf("chain %s: %v", e.Chain, e.Err)
	}
	return e.Err.Error()
}

func (e *ValidationError) Unwrap() error { return e.Err }

// Validate is the base step: it refuses anything the generators must never
// emit before a single line is printed or a netlink message queued. Beyond
// well-formedness it enforces SPEC §8's invariant: every DNAT and every
// forward accept names exactly one protocol, one port (never zero, never a
// range) and one destination host — a DMZ cannot be expressed. A forward
// filter chain has policy accept (policy drop would cut the LAN off the
// internet) and ends with scoped drops — one destination host, `ct status
// dnat`, or `iifname` per drop, never an unconditional one — that close
// every host it accepts something toward.
func Validate(rs *Ruleset) error {
	sets := map[string]Set{}
	for _, s := range rs.Table.Sets {
		serr := func(format string, args ...any) error {
			return &ValidationError{Set: s.Name, Err: fmt.Errorf(format, args...)}
		}
		if !identRE.MatchString(s.Name) {
			return serr("name is not an identifier")
		}
		if _, dup := sets[s.Name]; dup {
			return serr("defined twice")
		}
		if s.Type != IPv4Addr && s.Type != IPv6Addr {
			return serr("unsupported type %q", s.Type)
		}
		if len(s.Elements) == 0 {
			return serr("no elements")
		}
		for _, p := range s.Elements {
			if !p.IsValid() || (p.Addr().Is4() != (s.Type == IPv4Addr)) || p.Addr().Is4In6() {
				return serr("element %v does not fit %s", p, s.Type)
			}
		}
		if !slices.Equal(s.Elements, NormalizePrefixes(s.Elements)) {
			return serr("elements are not canonical (sorted, merged, no overlap)")
		}
		sets[s.Name] = s
	}
	chains := map[string]bool{}
	for _, c := range rs.Table.Chains {
		if !identRE.MatchString(c.Name) {
			return &ValidationError{Chain: c.Name, Err: fmt.Errorf("name is not an identifier")}
		}
		if chains[c.Name] {
			return &ValidationError{Chain: c.Name, Err: fmt.Errorf("defined twice")}
		}
		chains[c.Name] = true
		if err := validateChain(c, sets); err != nil {
			return err
		}
	}
	return nil
}

func validateChain(c Chain, sets map[string]Set) error {
	if err := validateChainHeader(c); err != nil {
		return &ValidationError{Chain: c.Name, Err: err}
	}
	for i, r := range c.Rules {
		if err := validateRule(c, r, sets); err != nil {
			return &ValidationError{Chain: c.Name, Rule: i + 1, Err: err}
		}
	}
	if isForward(c) {
		return validateForward(c)
	}
	return nil
}

func validateChainHeader(c Chain) error {
	switch c.Hook {
	case HookPrerouting, HookInput, HookForward, HookOutput, HookPostrouting:
	default:
		return fmt.Errorf("unsupported hook %q", c.Hook)
	}
	switch c.Type {
	case ChainFilter:
	case ChainNAT:
		if c.Hook == HookForward {
			return fmt.Errorf("a nat chain cannot hook forward")
		}
	default:
		return fmt.Errorf("unsupported chain type %q", c.Type)
	}
	switch c.Policy {
	case PolicyAccept, PolicyDrop:
	default:
		return fmt.Errorf("unsupported policy %q", c.Policy)
	}
	// The forward hook also carries the LAN's own traffic (the router or
	// VPN gateway routes it to the internet), and a packet any base chain
	// drops is dropped: `policy drop` here would cut the LAN off. The drops
	// are explicit and scoped instead (validateForward).
	if isForward(c) && c.Policy != PolicyAccept {
		return fmt.Errorf("a forward filter chain must have policy accept: policy %s would also drop the LAN's own "+
			"forwarded traffic and cut it off the internet (p2pplan drops only what it exposes, with explicit rules)", c.Policy)
	}
	return nil
}

func isForward(c Chain) bool { return c.Type == ChainFilter && c.Hook == HookForward }

// validateForward checks the shape of a forward filter chain, whose policy is
// accept: accepts first (established/related and one-flow service accepts),
// then the scoped drops, at least one; no accept after a drop; and every
// destination host a service accept admits is closed behind it by a drop of
// that host, or of the interface the accept names — so whatever is not
// accepted explicitly toward it is dropped.
func validateForward(c Chain) error {
	lastAccept, drops := -1, 0
	for i, r := range c.Rules {
		switch r.Statement.(type) {
		case Accept:
			if drops > 0 {
				return &ValidationError{Chain: c.Name, Rule: i + 1, Err: fmt.Errorf("an accept after the drops: the drops must end the chain")}
			}
			lastAccept = i
		case Drop:
			drops++
		}
	}
	if drops == 0 {
		return &ValidationError{Chain: c.Name, Err: fmt.Errorf("no drop after the last accept: with policy accept, " +
			"the chain must end with drops scoped to the exposed hosts (ip daddr HOST drop) or the tunnel (iifname NAME drop)")}
	}
	for i := 0; i <= lastAccept; i++ {
		var host netip.Prefix
		var ifname string
		for _, m := range c.Rules[i].Matches {
			switch m := m.(type) {
			case Addr:
				if m.Dir == Dst {
					host = m.Prefix
				}
			case IIFName:
				ifname = m.Name
			}
		}
		if !host.IsValid() {
			continue // ct state established,related
		}
		closed := slices.ContainsFunc(c.Rules[lastAccept+1:], func(d Rule) bool {
			switch m := d.Matches[0].(type) {
			case Addr:
				return m.Prefix == host
			case IIFName:
				return ifname != "" && m.Name == ifname
			}
			return false
		})
		if !closed {
			return &ValidationError{Chain: c.Name, Rule: i + 1, Err: fmt.Errorf("nothing drops the rest of the traffic toward %s "+
				"after this accept (add %s daddr %s drop)", formatPrefix(host), FamilyOf(host.Addr()), formatPrefix(host))}
		}
	}
	return nil
}

func validateRule(c Chain, r Rule, sets map[string]Set) error {
	if r.Unknown != "" {
		return fmt.Errorf("rule not generated by p2pplan: %s", r.Unknown)
	}
	var (
		ports, dsts, ctOnly = 0, 0, true
		dstHost             bool
		fam                 Family
	)
	setFam := func(f Family) error {
		if fam != "" && fam != f {
			return fmt.Errorf("mixes ip and ip6 matches: it could never match")
		}
		fam = f
		return nil
	}
	for _, m := range r.Matches {
		switch m := m.(type) {
		case IIFName:
			ctOnly = false
			if !ifnameRE.MatchString(m.Name) {
				return fmt.Errorf("interface name %q is not valid", m.Name)
			}
		case Addr:
			ctOnly = false
			if !m.Prefix.IsValid() || m.Prefix != m.Prefix.Masked() || m.Prefix.Addr().Is4In6() {
				return fmt.Errorf("prefix %v is not canonical", m.Prefix)
			}
			if m.Dir != Src && m.Dir != Dst {
				return fmt.Errorf("bad direction %q", m.Dir)
			}
			if err := setFam(FamilyOf(m.Prefix.Addr())); err != nil {
				return err
			}
			if m.Dir == Dst {
				dsts++
				dstHost = m.Prefix.IsSingleIP()
			}
		case AddrSet:
			ctOnly = false
			s, ok := sets[m.Set]
			if !ok {
				return fmt.Errorf("set @%s is not defined", m.Set)
			}
			if (m.Family == IP) != (s.Type == IPv4Addr) || (m.Family != IP && m.Family != IP6) {
				return fmt.Errorf("%s match against set @%s of type %s", m.Family, m.Set, s.Type)
			}
			if m.Dir != Src && m.Dir != Dst {
				return fmt.Errorf("bad direction %q", m.Dir)
			}
			if err := setFam(m.Family); err != nil {
				return err
			}
			if m.Dir == Dst {
				dsts++
			}
		case Port:
			ctOnly = false
			if m.Proto != TCP && m.Proto != UDP {
				return fmt.Errorf("protocol %q: only tcp and udp", m.Proto)
			}
			if m.Port == 0 {
				return fmt.Errorf("port 0")
			}
			ports++
		case CtState:
			if len(m.States) == 0 {
				return fmt.Errorf("ct state with no state")
			}
			for i, s := range m.States {
				if !slices.Contains(ctStates, s) {
					return fmt.Errorf("unknown ct state %q", s)
				}
				if i > 0 && slices.Index(ctStates, s) <= slices.Index(ctStates, m.States[i-1]) {
					return fmt.Errorf("ct states must be listed once, in the order %v", ctStates)
				}
			}
		case CtStatusDNAT:
			ctOnly = false
		case nil:
			return fmt.Errorf("nil match")
		default:
			return fmt.Errorf("unsupported match %T", m)
		}
	}
	if c.Type == ChainNAT && len(r.Matches) > 0 {
		for _, m := range r.Matches {
			if _, ok := m.(CtState); ok {
				return fmt.Errorf("ct state in a nat chain")
			}
		}
	}
	// A "service" rule is what exposes something: it must name one protocol,
	// one port and one destination host.
	service := func(what string) error {
		if ports != 1 {
			return fmt.Errorf("%s must name exactly one protocol and port, has %d", what, ports)
		}
		if dsts != 1 || !dstHost {
			return fmt.Errorf("%s must name exactly one destination host address", what)
		}
		return nil
	}
	switch s := r.Statement.(type) {
	case Accept:
		if c.Type == ChainFilter && c.Hook == HookForward {
			if ctOnly {
				for _, m := range r.Matches {
					for _, st := range m.(CtState).States {
						if st != "established" && st != "related" {
							return fmt.Errorf("a forward accept on ct state %s would admit new flows", st)
						}
					}
				}
				if len(r.Matches) == 0 {
					return fmt.Errorf("an accept with no match forwards everything")
				}
				return nil
			}
			return service("a forward accept")
		}
	case Drop:
		// Only the scoped drops p2pplan writes, and only in the forward
		// filter: one destination host or one input interface. An
		// unconditional drop would be `policy drop` in disguise and cut the
		// LAN off; `ct status dnat drop` would stop the customer's own port
		// forwards to other hosts.
		if !isForward(c) {
			return fmt.Errorf("drop outside a forward filter chain")
		}
		if len(r.Matches) != 1 {
			if len(r.Matches) == 0 {
				return fmt.Errorf("an unconditional drop would drop the LAN's own traffic too: " +
					"a drop must match one destination host or iifname")
			}
			return fmt.Errorf("a drop must match exactly one of: one destination host, iifname")
		}
		switch m := r.Matches[0].(type) {
		case Addr:
			if m.Dir != Dst || !m.Prefix.IsSingleIP() {
				return fmt.Errorf("a drop on an address must name one destination host, not %s %s", m.Dir, formatPrefix(m.Prefix))
			}
		case IIFName:
		case CtStatusDNAT:
			return fmt.Errorf("ct status dnat drop would also stop the customer's own port forwards; a drop must match one destination host or iifname")
		default:
			return fmt.Errorf("a drop must match one destination host or iifname, not %T", m)
		}
	case DNAT:
		if c.Type != ChainNAT || c.Hook != HookPrerouting {
			return fmt.Errorf("dnat outside a nat prerouting chain")
		}
		if err := service("a dnat"); err != nil {
			return err
		}
		if !s.Addr.IsValid() || s.Addr.Is4In6() || s.Addr.Zone() != "" {
			return fmt.Errorf("dnat target %v is not an address", s.Addr)
		}
		if s.Port == 0 {
			return fmt.Errorf("dnat to port 0")
		}
		if FamilyOf(s.Addr) != fam {
			return fmt.Errorf("dnat %s target for a %s match", FamilyOf(s.Addr), fam)
		}
	case nil:
		return fmt.Errorf("no statement")
	default:
		return fmt.Errorf("unsupported statement %T", s)
	}
	return nil
}
