package nftables

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	gnft "github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"golang.org/x/sys/unix"
)

// ReadKernel reads table inet p2pplan through c and maps it back onto the
// model, so apply can print what the kernel holds with the same printer and
// diff it against the file. It returns nil when the table does not exist.
// Rules the model cannot express (a hand edit) come back with Rule.Unknown
// set rather than failing: the table is ours and apply replaces it anyway.
func ReadKernel(c *gnft.Conn) (*Table, error) {
	tables, err := c.ListTablesOfFamily(gnft.TableFamilyINet)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	var t *gnft.Table
	for _, tt := range tables {
		if tt.Name == TableName {
			t = tt
		}
	}
	if t == nil {
		return nil, nil
	}
	out := &Table{}
	sets, err := c.GetSets(t)
	if err != nil {
		return nil, fmt.Errorf("list sets: %w", err)
	}
	for _, s := range sets {
		if s.Anonymous {
			continue
		}
		elems, err := c.GetSetElements(s)
		if err != nil {
			return nil, fmt.Errorf("list elements of set %s: %w", s.Name, err)
		}
		out.Sets = append(out.Sets, decodeSet(s, elems))
	}
	slices.SortFunc(out.Sets, func(a, b Set) int { return strings.Compare(a.Name, b.Name) })

	chains, err := c.ListChainsOfTableFamily(gnft.TableFamilyINet)
	if err != nil {
		return nil, fmt.Errorf("list chains: %w", err)
	}
	for _, ch := range chains {
		if ch.Table == nil || ch.Table.Name != TableName {
			continue
		}
		rules, err := c.GetRules(t, ch)
		if err != nil {
			return nil, fmt.Errorf("list rules of chain %s: %w", ch.Name, err)
		}
		out.Chains = append(out.Chains, DecodeChain(ch, rules))
	}
	return out, nil
}

// DecodeChain maps a kernel chain and its rules onto the model.
func DecodeChain(ch *gnft.Chain, rules []*gnft.Rule) Chain {
	c := Chain{Name: ch.Name, Type: ChainType(ch.Type)}
	if ch.Hooknum != nil {
		for h, n := range hookNum {
			if n == *ch.Hooknum {
				c.Hook = h
			}
		}
	}
	if ch.Priority != nil {
		c.Priority = int(*ch.Priority)
	}
	c.Policy = PolicyAccept
	if ch.Policy != nil && *ch.Policy == gnft.ChainPolicyDrop {
		c.Policy = PolicyDrop
	}
	for _, r := range rules {
		c.Rules = append(c.Rules, DecodeRule(r))
	}
	return c
}

func decodeSet(s *gnft.Set, elems []gnft.SetElement) Set {
	out := Set{Name: s.Name, Type: AddrType(s.KeyType.Name)}
	els := slices.Clone(elems)
	// Sort by key, an end before a start at the same key (adjacent ranges).
	slices.SortStableFunc(els, func(a, b gnft.SetElement) int {
		if c := bytes.Compare(a.Key, b.Key); c != 0 {
			return c
		}
		if a.IntervalEnd == b.IntervalEnd {
			return 0
		}
		if a.IntervalEnd {
			return -1
		}
		return 1
	})
	var ranges []addrRange
	var open *netip.Addr
	for _, e := range els {
		a, ok := netip.AddrFromSlice(e.Key)
		if !ok {
			continue
		}
		switch {
		case !s.Interval:
			ranges = append(ranges, addrRange{a, a})
		case !e.IntervalEnd:
			if open != nil {
				// Two starts in a row: the first range ran to the next start.
				ranges = append(ranges, addrRange{*open, a.Prev()})
			}
			open = &a
		case open != nil:
			ranges = append(ranges, addrRange{*open, a.Prev()})
			open = nil
		}
	}
	if open != nil {
		last := lastAddr(netip.PrefixFrom(*open, 0))
		ranges = append(ranges, addrRange{*open, last})
	}
	for _, r := range ranges {
		out.Elements = append(out.Elements, rangePrefixes(r)...)
	}
	out.Elements = NormalizePrefixes(out.Elements)
	return out
}

// DecodeRule maps a kernel rule's expressions back onto the model. It knows
// exactly the sequences ruleExprs and nft emit for the model's matches.
func DecodeRule(r *gnft.Rule) Rule {
	var out Rule
	if c, ok := userdata.GetString(r.UserData, userdata.TypeComment); ok {
		out.Comment = c
	}
	d := decoder{ex: r.Exprs}
	if err := d.decode(&out); err != nil {
		return Rule{Unknown: fmt.Sprintf("handle %d: %v", r.Handle, err), Comment: out.Comment}
	}
	return out
}

type decoder struct {
	ex  []expr.Any
	i   int
	fam Family
	l4  Proto
}

func (d *decoder) next() expr.Any {
	if d.i >= len(d.ex) {
		return nil
	}
	e := d.ex[d.i]
	d.i++
	return e
}

// cmp takes the next expression as a compare with op on reg 1.
func (d *decoder) cmp(op expr.CmpOp) ([]byte, error) {
	c, ok := d.next().(*expr.Cmp)
	if !ok || c.Op != op || c.Register != regA {
		return nil, fmt.Errorf("expression %d: expected a compare", d.i)
	}
	return c.Data, nil
}

func (d *decoder) decode(r *Rule) error {
	for d.i < len(d.ex) {
		if r.Statement != nil {
			return fmt.Errorf("expressions after the statement")
		}
		switch e := d.next().(type) {
		case *expr.Meta:
			if e.SourceRegister || e.Register != regA {
				return fmt.Errorf("meta set")
			}
			v, err := d.cmp(expr.CmpOpEq)
			if err != nil {
				return err
			}
			switch {
			case e.Key == expr.MetaKeyNFPROTO && len(v) == 1 && v[0] == unix.NFPROTO_IPV4:
				d.fam = IP
			case e.Key == expr.MetaKeyNFPROTO && len(v) == 1 && v[0] == unix.NFPROTO_IPV6:
				d.fam = IP6
			case e.Key == expr.MetaKeyL4PROTO && len(v) == 1 && v[0] == unix.IPPROTO_TCP:
				d.l4 = TCP
			case e.Key == expr.MetaKeyL4PROTO && len(v) == 1 && v[0] == unix.IPPROTO_UDP:
				d.l4 = UDP
			case e.Key == expr.MetaKeyIIFNAME:
				r.Matches = append(r.Matches, IIFName{Name: string(bytes.TrimRight(v, "\x00"))})
			default:
				return fmt.Errorf("meta key %d", e.Key)
			}
		case *expr.Payload:
			m, err := d.payload(e)
			if err != nil {
				return err
			}
			r.Matches = append(r.Matches, m)
		case *expr.Ct:
			if e.SourceRegister || e.Register != regA {
				return fmt.Errorf("ct set")
			}
			b, ok := d.next().(*expr.Bitwise)
			if !ok || b.Len != 4 || len(b.Mask) != 4 || !bytes.Equal(b.Xor, make([]byte, 4)) {
				return fmt.Errorf("ct %d without a flag mask", e.Key)
			}
			if v, err := d.cmp(expr.CmpOpNeq); err != nil || !bytes.Equal(v, make([]byte, 4)) {
				return fmt.Errorf("ct %d: expected != 0", e.Key)
			}
			bits := binaryutil.NativeEndian.Uint32(b.Mask)
			switch e.Key {
			case expr.CtKeySTATE:
				var st []string
				for _, s := range ctStates {
					if bits&ctStateBits[s] != 0 {
						st = append(st, s)
						bits &^= ctStateBits[s]
					}
				}
				if bits != 0 || len(st) == 0 {
					return fmt.Errorf("ct state bits %#x", bits)
				}
				r.Matches = append(r.Matches, CtState{States: st})
			case expr.CtKeySTATUS:
				if bits != ctStatusDNAT {
					return fmt.Errorf("ct status bits %#x", bits)
				}
				r.Matches = append(r.Matches, CtStatusDNAT{})
			default:
				return fmt.Errorf("ct key %d", e.Key)
			}
		case *expr.Verdict:
			switch e.Kind {
			case expr.VerdictAccept:
				r.Statement = Accept{}
			case expr.VerdictDrop:
				r.Statement = Drop{}
			default:
				return fmt.Errorf("verdict %d", e.Kind)
			}
		case *expr.Immediate:
			port, ok1 := d.next().(*expr.Immediate)
			nat, ok2 := d.next().(*expr.NAT)
			if !ok1 || !ok2 || e.Register != regA || port.Register != regB || len(port.Data) != 2 ||
				nat.Type != expr.NATTypeDestNAT || nat.RegAddrMin != regA || nat.RegProtoMin != regB ||
				(nat.RegAddrMax != 0 && nat.RegAddrMax != regA) || (nat.RegProtoMax != 0 && nat.RegProtoMax != regB) ||
				nat.Random || nat.FullyRandom || nat.Persistent || nat.Prefix {
				return fmt.Errorf("immediate that is not a dnat to one address and port")
			}
			a, ok := netip.AddrFromSlice(e.Data)
			if !ok || (nat.Family == unix.NFPROTO_IPV4) != a.Is4() {
				return fmt.Errorf("dnat address")
			}
			r.Statement = DNAT{Addr: a, Port: binaryutil.BigEndian.Uint16(port.Data)}
		default:
			return fmt.Errorf("expression %T", e)
		}
	}
	if r.Statement == nil {
		return fmt.Errorf("no statement")
	}
	// A family or protocol dependency nothing used would be a match of its
	// own (meta nfproto, meta l4proto) that the model cannot print.
	var addrs, ports int
	for _, m := range r.Matches {
		switch m.(type) {
		case Addr, AddrSet:
			addrs++
		case Port:
			ports++
		}
	}
	if (d.fam != "" && addrs == 0) || (d.l4 != "" && ports == 0) {
		return fmt.Errorf("a bare meta nfproto or l4proto match")
	}
	return nil
}

func (d *decoder) payload(p *expr.Payload) (Match, error) {
	if p.OperationType != expr.PayloadLoad || p.DestRegister != regA {
		return nil, fmt.Errorf("payload write")
	}
	if p.Base == expr.PayloadBaseTransportHeader {
		if p.Offset != 2 || p.Len != 2 || d.l4 == "" {
			return nil, fmt.Errorf("transport payload other than a dport")
		}
		v, err := d.cmp(expr.CmpOpEq)
		if err != nil || len(v) != 2 {
			return nil, fmt.Errorf("dport without one port")
		}
		return Port{Proto: d.l4, Port: binaryutil.BigEndian.Uint16(v)}, nil
	}
	if p.Base != expr.PayloadBaseNetworkHeader || d.fam == "" {
		return nil, fmt.Errorf("payload base %d", p.Base)
	}
	var dir Dir
	for _, dd := range []Dir{Src, Dst} {
		if off, _ := addrOffset(d.fam, dd); off == p.Offset {
			dir = dd
		}
	}
	_, size := addrOffset(d.fam, Src)
	if dir == "" || p.Len == 0 || p.Len > size {
		return nil, fmt.Errorf("network payload at %d", p.Offset)
	}
	full := func(b []byte) netip.Addr {
		buf := make([]byte, size)
		copy(buf, b)
		a, _ := netip.AddrFromSlice(buf)
		return a
	}
	switch e := d.next().(type) {
	case *expr.Cmp:
		if e.Op != expr.CmpOpEq || e.Register != regA || uint32(len(e.Data)) != p.Len {
			return nil, fmt.Errorf("address compare")
		}
		return Addr{Dir: dir, Prefix: netip.PrefixFrom(full(e.Data), int(p.Len)*8)}, nil
	case *expr.Bitwise:
		if p.Len != size || e.Len != size || !bytes.Equal(e.Xor, make([]byte, size)) {
			return nil, fmt.Errorf("address mask")
		}
		bits := 0
		for _, b := range e.Mask {
			for i := 7; i >= 0; i-- {
				if b&(1<<i) != 0 {
					bits++
				}
			}
		}
		v, err := d.cmp(expr.CmpOpEq)
		if err != nil {
			return nil, err
		}
		pfx := netip.PrefixFrom(full(v), bits)
		want := netip.PrefixFrom(lastAddr(netip.PrefixFrom(full(nil), 0)), bits).Masked().Addr().AsSlice()
		if !bytes.Equal(want, e.Mask) {
			return nil, fmt.Errorf("address mask is not a prefix")
		}
		return Addr{Dir: dir, Prefix: pfx.Masked()}, nil
	case *expr.Lookup:
		if e.Invert || e.IsDestRegSet || e.SourceRegister != regA || p.Len != size {
			return nil, fmt.Errorf("set lookup")
		}
		return AddrSet{Family: d.fam, Dir: dir, Set: e.SetName}, nil
	default:
		return nil, fmt.Errorf("address load followed by %T", e)
	}
}
