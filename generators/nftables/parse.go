package nftables

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Parse reads a ruleset in exactly the form Format prints: the three-line
// replace idiom for table inet p2pplan, interval sets, base chains and rules
// built from the model's matches and statements. It is deliberately strict:
// anything else — another table, a jump, a port range, a non-canonical
// prefix — is refused with file:line, so `p2pplan apply` can only ever load
// what a p2pplan generator could have produced. The result is validated.
func Parse(name string, data []byte) (*Ruleset, error) {
	p := &parser{name: name, lines: map[string]int{}}
	rs, err := p.parse(string(data))
	if err != nil {
		return nil, err
	}
	if err := Validate(rs); err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			if l, ok := p.lines[lineKey(ve.Set, ve.Chain, ve.Rule)]; ok {
				p.line = l
				return nil, p.errf("%v", err)
			}
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return rs, nil
}

type parser struct {
	name  string
	line  int
	lines map[string]int // lineKey → line, to point validation errors at the text
}

func lineKey(set, chain string, rule int) string {
	return fmt.Sprintf("%s\x00%s\x00%d", set, chain, rule)
}

func (p *parser) errf(format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", p.name, p.line, fmt.Sprintf(format, args...))
}

const (
	stStart = iota
	stDeleted
	stDefined
	stTable
	stSet
	stChain
	stDone
)

func (p *parser) parse(text string) (*Ruleset, error) {
	rs := &Ruleset{}
	state := stStart
	var set *Set
	var chain *Chain
	setStep := 0 // 0 type, 1 flags, 2 elements, 3 closing brace
	chainHeader := false
	if strings.ContainsRune(text, '\r') || strings.ContainsRune(text, 0) {
		p.line = 1 + strings.Count(text[:strings.IndexAny(text, "\r\x00")], "\n")
		return nil, p.errf("carriage return or NUL byte")
	}
	lines := strings.Split(text, "\n")
	for i, raw := range lines {
		p.line = i + 1
		line := strings.Trim(raw, " \t")
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "#") {
			if t, ok := strings.CutPrefix(line, "# p2pplan: "); ok && state == stStart && rs.Title == "" {
				rs.Title = t
			}
			continue
		}
		table := "table inet " + TableName
		switch state {
		case stStart:
			if line != table {
				return nil, p.errf("expected %q (p2pplan only loads its own table), got %q", table, line)
			}
			state = stDeleted
		case stDeleted:
			if line != "delete "+table {
				return nil, p.errf("expected %q, got %q", "delete "+table, line)
			}
			state = stDefined
		case stDefined:
			if line != table+" {" {
				return nil, p.errf("expected %q, got %q", table+" {", line)
			}
			state = stTable
		case stTable:
			f := strings.Fields(line)
			switch {
			case line == "}":
				state = stDone
			case len(f) == 3 && f[0] == "set" && f[2] == "{":
				if len(rs.Table.Chains) > 0 {
					return nil, p.errf("sets come before chains")
				}
				rs.Table.Sets = append(rs.Table.Sets, Set{Name: f[1]})
				p.lines[lineKey(f[1], "", 0)] = p.line
				set, setStep, state = &rs.Table.Sets[len(rs.Table.Sets)-1], 0, stSet
			case len(f) == 3 && f[0] == "chain" && f[2] == "{":
				rs.Table.Chains = append(rs.Table.Chains, Chain{Name: f[1]})
				p.lines[lineKey("", f[1], 0)] = p.line
				chain, chainHeader, state = &rs.Table.Chains[len(rs.Table.Chains)-1], false, stChain
			default:
				return nil, p.errf("expected a set, a chain or \"}\", got %q", line)
			}
		case stSet:
			if err := p.setLine(set, setStep, line); err != nil {
				return nil, err
			}
			if setStep++; setStep == 4 {
				state = stTable
			}
		case stChain:
			switch {
			case !chainHeader:
				if err := p.chainHeader(chain, line); err != nil {
					return nil, err
				}
				chainHeader = true
			case line == "}":
				state = stTable
			default:
				r, err := p.rule(line)
				if err != nil {
					return nil, err
				}
				chain.Rules = append(chain.Rules, r)
				p.lines[lineKey("", chain.Name, len(chain.Rules))] = p.line
			}
		case stDone:
			return nil, p.errf("unexpected %q after the table", line)
		}
	}
	if state != stDone {
		p.line = len(lines)
		return nil, p.errf("unexpected end of file: the table is not complete")
	}
	return rs, nil
}

func (p *parser) setLine(s *Set, step int, line string) error {
	switch step {
	case 0:
		t, ok := strings.CutPrefix(line, "type ")
		if !ok || (t != string(IPv4Addr) && t != string(IPv6Addr)) {
			return p.errf("expected \"type ipv4_addr\" or \"type ipv6_addr\", got %q", line)
		}
		s.Type = AddrType(t)
	case 1:
		if line != "flags interval" {
			return p.errf("expected \"flags interval\", got %q", line)
		}
	case 2:
		body, ok := strings.CutPrefix(line, "elements = { ")
		if ok {
			body, ok = strings.CutSuffix(body, " }")
		}
		if !ok {
			return p.errf("expected \"elements = { ... }\", got %q", line)
		}
		for _, e := range strings.Split(body, ", ") {
			pfx, err := p.prefix(e)
			if err != nil {
				return err
			}
			s.Elements = append(s.Elements, pfx)
		}
	case 3:
		if line != "}" {
			return p.errf("expected \"}\" closing set %s, got %q", s.Name, line)
		}
	}
	return nil
}

func (p *parser) chainHeader(c *Chain, line string) error {
	f := strings.Fields(line)
	if len(f) != 8 || f[0] != "type" || f[2] != "hook" || f[4] != "priority" || f[6] != "policy" ||
		!strings.HasSuffix(f[5], ";") || !strings.HasSuffix(f[7], ";") {
		return p.errf("expected \"type T hook H priority P; policy X;\", got %q", line)
	}
	c.Type, c.Hook, c.Policy = ChainType(f[1]), Hook(f[3]), Policy(strings.TrimSuffix(f[7], ";"))
	prio := strings.TrimSuffix(f[5], ";")
	switch prio {
	case "filter":
		c.Priority = PriorityFilter
	case "dstnat":
		c.Priority = PriorityDstNAT
	case "srcnat":
		c.Priority = PrioritySrcNAT
	default:
		n, err := strconv.Atoi(prio)
		if err != nil {
			return p.errf("priority %q is not a number or a known name", prio)
		}
		c.Priority = n
	}
	// Identity with the printer: a name where the printer writes a name.
	if formatPriority(*c) != prio {
		return p.errf("priority %q: write it as %q", prio, formatPriority(*c))
	}
	return nil
}

// tokens splits a rule line on spaces; a double-quoted string is one token
// (kept with its quotes). The printer never emits a quote or backslash
// inside a string, so neither is accepted.
func (p *parser) tokens(line string) ([]string, error) {
	var out []string
	for line != "" {
		if line[0] == ' ' {
			line = line[1:]
			continue
		}
		if line[0] == '"' {
			end := strings.IndexByte(line[1:], '"')
			if end < 0 {
				return nil, p.errf("unterminated string")
			}
			s := line[:end+2]
			if strings.ContainsAny(s[1:len(s)-1], "\\\t") {
				return nil, p.errf("escape or tab inside a string")
			}
			out = append(out, s)
			line = line[end+2:]
			if line != "" && line[0] != ' ' {
				return nil, p.errf("text glued to a string")
			}
			continue
		}
		end := strings.IndexAny(line, " \"")
		if end < 0 {
			end = len(line)
		}
		out = append(out, line[:end])
		line = line[end:]
	}
	return out, nil
}

func (p *parser) str(tok string) (string, error) {
	if len(tok) < 2 || tok[0] != '"' || tok[len(tok)-1] != '"' {
		return "", p.errf("expected a quoted string, got %s", tok)
	}
	s := tok[1 : len(tok)-1]
	if SanitizeComment(s) != s || s == "" {
		return "", p.errf("string %s holds characters p2pplan never writes", tok)
	}
	return s, nil
}

func (p *parser) rule(line string) (Rule, error) {
	var r Rule
	t, err := p.tokens(line)
	if err != nil {
		return r, err
	}
	need := func(i, n int) error {
		if i+n > len(t) {
			return p.errf("%q: incomplete rule", line)
		}
		return nil
	}
	i := 0
	for i < len(t) && r.Statement == nil {
		switch t[i] {
		case "iifname":
			if err := need(i, 2); err != nil {
				return r, err
			}
			s, err := p.str(t[i+1])
			if err != nil {
				return r, err
			}
			r.Matches = append(r.Matches, IIFName{Name: s})
			i += 2
		case "ip", "ip6":
			if err := need(i, 3); err != nil {
				return r, err
			}
			fam, dir := Family(t[i]), Dir(t[i+1])
			if dir != Src && dir != Dst {
				return r, p.errf("%s %s: only saddr and daddr", t[i], t[i+1])
			}
			if name, ok := strings.CutPrefix(t[i+2], "@"); ok {
				r.Matches = append(r.Matches, AddrSet{Family: fam, Dir: dir, Set: name})
			} else {
				pfx, err := p.prefix(t[i+2])
				if err != nil {
					return r, err
				}
				if FamilyOf(pfx.Addr()) != fam {
					return r, p.errf("%s %s %s: address of the other family", t[i], t[i+1], t[i+2])
				}
				r.Matches = append(r.Matches, Addr{Dir: dir, Prefix: pfx})
			}
			i += 3
		case "tcp", "udp":
			if err := need(i, 3); err != nil {
				return r, err
			}
			if t[i+1] != "dport" {
				return r, p.errf("%s %s: only dport", t[i], t[i+1])
			}
			port, err := p.port(t[i+2])
			if err != nil {
				return r, err
			}
			r.Matches = append(r.Matches, Port{Proto: Proto(t[i]), Port: port})
			i += 3
		case "ct":
			if err := need(i, 3); err != nil {
				return r, err
			}
			switch {
			case t[i+1] == "state":
				r.Matches = append(r.Matches, CtState{States: strings.Split(t[i+2], ",")})
			case t[i+1] == "status" && t[i+2] == "dnat":
				r.Matches = append(r.Matches, CtStatusDNAT{})
			default:
				return r, p.errf("ct %s %s: only ct state and ct status dnat", t[i+1], t[i+2])
			}
			i += 3
		case "accept":
			r.Statement = Accept{}
			i++
		case "drop":
			r.Statement = Drop{}
			i++
		case "dnat":
			if err := need(i, 4); err != nil {
				return r, err
			}
			if (t[i+1] != "ip" && t[i+1] != "ip6") || t[i+2] != "to" {
				return r, p.errf("expected \"dnat ip to ADDR:PORT\" or \"dnat ip6 to [ADDR]:PORT\"")
			}
			ap, err := netip.ParseAddrPort(t[i+3])
			if err != nil || ap.Addr().Zone() != "" {
				return r, p.errf("dnat target %q is not ADDR:PORT", t[i+3])
			}
			if string(FamilyOf(ap.Addr())) != t[i+1] {
				return r, p.errf("dnat %s to an address of the other family", t[i+1])
			}
			if _, err := p.port(strconv.Itoa(int(ap.Port()))); err != nil {
				return r, err
			}
			r.Statement = DNAT{Addr: ap.Addr(), Port: ap.Port()}
			i += 4
		default:
			return r, p.errf("unsupported %q in rule %q", t[i], line)
		}
	}
	if r.Statement == nil {
		return r, p.errf("rule %q has no statement (accept, drop or dnat)", line)
	}
	if i < len(t) {
		if t[i] != "comment" || i+2 != len(t) {
			return r, p.errf("only a comment may follow the statement in %q", line)
		}
		c, err := p.str(t[i+1])
		if err != nil {
			return r, err
		}
		r.Comment = c
	}
	if FormatRule(r) != line {
		return r, p.errf("rule is not in the canonical form p2pplan prints: %q", FormatRule(r))
	}
	return r, nil
}

func (p *parser) port(s string) (uint16, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != s {
		return 0, p.errf("port %q: one port between 1 and 65535 (ranges and sets are refused)", s)
	}
	return uint16(n), nil
}

func (p *parser) prefix(s string) (netip.Prefix, error) {
	var pfx netip.Prefix
	if strings.Contains(s, "/") {
		var err error
		if pfx, err = netip.ParsePrefix(s); err != nil {
			return pfx, p.errf("%q is not a prefix", s)
		}
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return pfx, p.errf("%q is not an address", s)
		}
		pfx = netip.PrefixFrom(a, a.BitLen())
	}
	if pfx != pfx.Masked() || pfx.Addr().Zone() != "" || pfx.Addr().Is4In6() || formatPrefix(pfx) != s {
		return pfx, p.errf("%q is not in canonical form (host bits set or /32, /128 written out)", s)
	}
	return pfx, nil
}
