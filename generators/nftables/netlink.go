package nftables

import (
	"fmt"
	"net/netip"

	gnft "github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"golang.org/x/sys/unix"
)

// Register numbers as nft uses them: reg 1 for loads and DNAT addresses,
// reg 2 for the DNAT port.
const (
	regA = 1
	regB = 2
)

// ifnameLen is IFNAMSIZ: iifname compares the zero-padded name.
const ifnameLen = 16

// ctStatusDNAT is IPS_DST_NAT, the conntrack status bit `ct status dnat`.
const ctStatusDNAT = 1 << 5

// ctStateBits are the conntrack state bits of `ct state` (nft's values).
var ctStateBits = map[string]uint32{
	"invalid":     expr.CtStateBitINVALID,
	"established": expr.CtStateBitESTABLISHED,
	"related":     expr.CtStateBitRELATED,
	"new":         expr.CtStateBitNEW,
	"untracked":   expr.CtStateBitUNTRACKED,
}

// NetlinkSet is a set with its elements in the kernel's interval encoding.
type NetlinkSet struct {
	Set      *gnft.Set
	Elements []gnft.SetElement
}

// NetlinkRuleset is the model converted to google/nftables objects, in the
// order they are queued.
type NetlinkRuleset struct {
	Table  *gnft.Table
	Sets   []NetlinkSet
	Chains []*gnft.Chain
	Rules  []*gnft.Rule
}

// ToNetlink converts a validated ruleset to google/nftables objects. The
// expressions are the ones nft itself emits for the printed text (checked
// against `nft --debug=netlink`), so the kernel lists the rules exactly as
// Format prints them.
func ToNetlink(rs *Ruleset) (*NetlinkRuleset, error) {
	if err := Validate(rs); err != nil {
		return nil, err
	}
	t := &gnft.Table{Name: TableName, Family: gnft.TableFamilyINet}
	out := &NetlinkRuleset{Table: t}
	setIDs := map[string]uint32{}
	for i, s := range rs.Table.Sets {
		kt := gnft.TypeIPAddr
		if s.Type == IPv6Addr {
			kt = gnft.TypeIP6Addr
		}
		// Set IDs only need to be unique within one batch; numbering them
		// here keeps the conversion deterministic.
		id := uint32(i + 1)
		setIDs[s.Name] = id
		out.Sets = append(out.Sets, NetlinkSet{
			Set:      &gnft.Set{Table: t, ID: id, Name: s.Name, KeyType: kt, Interval: true},
			Elements: intervalElements(s.Elements),
		})
	}
	for _, c := range rs.Table.Chains {
		ch := &gnft.Chain{
			Name:     c.Name,
			Table:    t,
			Type:     gnft.ChainType(c.Type),
			Hooknum:  gnft.ChainHookRef(hookNum[c.Hook]),
			Priority: gnft.ChainPriorityRef(gnft.ChainPriority(c.Priority)),
		}
		pol := gnft.ChainPolicyAccept
		if c.Policy == PolicyDrop {
			pol = gnft.ChainPolicyDrop
		}
		ch.Policy = &pol
		out.Chains = append(out.Chains, ch)
		for _, r := range c.Rules {
			exprs, err := ruleExprs(r, setIDs)
			if err != nil {
				return nil, fmt.Errorf("chain %s: %w", c.Name, err)
			}
			nr := &gnft.Rule{Table: t, Chain: ch, Exprs: exprs}
			if c := SanitizeComment(r.Comment); c != "" {
				nr.UserData = userdata.AppendString(nil, userdata.TypeComment, c)
			}
			out.Rules = append(out.Rules, nr)
		}
	}
	return out, nil
}

// Queue adds the replace batch to c without sending it: create our table if
// absent, delete it, then define it anew — the same idiom as the text form,
// so the kernel applies all of it or nothing, and no other table is touched.
// The caller sends it with c.Flush().
func (n *NetlinkRuleset) Queue(c *gnft.Conn) error {
	c.AddTable(n.Table)
	c.DelTable(n.Table)
	c.AddTable(n.Table)
	for _, s := range n.Sets {
		if err := c.AddSet(s.Set, s.Elements); err != nil {
			return fmt.Errorf("set %s: %w", s.Set.Name, err)
		}
	}
	for _, ch := range n.Chains {
		c.AddChain(ch)
	}
	for _, r := range n.Rules {
		c.AddRule(r)
	}
	return nil
}

var hookNum = map[Hook]gnft.ChainHook{
	HookPrerouting:  unix.NF_INET_PRE_ROUTING,
	HookInput:       unix.NF_INET_LOCAL_IN,
	HookForward:     unix.NF_INET_FORWARD,
	HookOutput:      unix.NF_INET_LOCAL_OUT,
	HookPostrouting: unix.NF_INET_POST_ROUTING,
}

// intervalElements encodes prefixes as the kernel's interval set holds them:
// a start key per range and an end key (flagged) one past its last address,
// plus nft's leading zero end element when the first range does not start
// at the zero address.
func intervalElements(ps []netip.Prefix) []gnft.SetElement {
	var out []gnft.SetElement
	rs := mergeRanges(ps)
	if len(rs) > 0 && !rs[0].from.IsUnspecified() {
		zero := netip.IPv4Unspecified()
		if rs[0].from.Is6() {
			zero = netip.IPv6Unspecified()
		}
		out = append(out, gnft.SetElement{Key: zero.AsSlice(), IntervalEnd: true})
	}
	for _, r := range rs {
		out = append(out, gnft.SetElement{Key: r.from.AsSlice()})
		if next := r.to.Next(); next.IsValid() {
			out = append(out, gnft.SetElement{Key: next.AsSlice(), IntervalEnd: true})
		}
	}
	return out
}

func ruleExprs(r Rule, setIDs map[string]uint32) ([]expr.Any, error) {
	var out []expr.Any
	var nfproto Family // the family dependency already loaded in this rule
	var l4 Proto
	needFamily := func(f Family) {
		if nfproto == f {
			return
		}
		nfproto = f
		v := byte(unix.NFPROTO_IPV4)
		if f == IP6 {
			v = unix.NFPROTO_IPV6
		}
		out = append(out,
			&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: regA},
			&expr.Cmp{Op: expr.CmpOpEq, Register: regA, Data: []byte{v}})
	}
	for _, m := range r.Matches {
		switch m := m.(type) {
		case IIFName:
			name := make([]byte, ifnameLen)
			copy(name, m.Name)
			out = append(out,
				&expr.Meta{Key: expr.MetaKeyIIFNAME, Register: regA},
				&expr.Cmp{Op: expr.CmpOpEq, Register: regA, Data: name})
		case Addr:
			fam := FamilyOf(m.Prefix.Addr())
			needFamily(fam)
			off, size := addrOffset(fam, m.Dir)
			addr := m.Prefix.Addr().AsSlice()
			bits := m.Prefix.Bits()
			switch {
			case bits%8 == 0 && bits > 0:
				// nft loads only the prefix's bytes when it is byte-aligned.
				out = append(out,
					&expr.Payload{DestRegister: regA, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: uint32(bits / 8)},
					&expr.Cmp{Op: expr.CmpOpEq, Register: regA, Data: addr[:bits/8]})
			case bits == 0:
				return nil, fmt.Errorf("a /0 prefix match is written as no match")
			default:
				mask := netip.PrefixFrom(lastAddr(netip.PrefixFrom(m.Prefix.Addr(), 0)), bits).Masked().Addr().AsSlice()
				out = append(out,
					&expr.Payload{DestRegister: regA, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: size},
					&expr.Bitwise{SourceRegister: regA, DestRegister: regA, Len: size, Mask: mask, Xor: make([]byte, size)},
					&expr.Cmp{Op: expr.CmpOpEq, Register: regA, Data: addr})
			}
		case AddrSet:
			needFamily(m.Family)
			off, size := addrOffset(m.Family, m.Dir)
			out = append(out,
				&expr.Payload{DestRegister: regA, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: size},
				&expr.Lookup{SourceRegister: regA, SetName: m.Set, SetID: setIDs[m.Set]})
		case Port:
			if l4 != m.Proto {
				l4 = m.Proto
				out = append(out,
					&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: regA},
					&expr.Cmp{Op: expr.CmpOpEq, Register: regA, Data: []byte{protoNum(m.Proto)}})
			}
			out = append(out,
				&expr.Payload{DestRegister: regA, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
				&expr.Cmp{Op: expr.CmpOpEq, Register: regA, Data: binaryutil.BigEndian.PutUint16(m.Port)})
		case CtState:
			var bits uint32
			for _, s := range m.States {
				bits |= ctStateBits[s]
			}
			out = append(out, ctBits(expr.CtKeySTATE, bits)...)
		case CtStatusDNAT:
			out = append(out, ctBits(expr.CtKeySTATUS, ctStatusDNAT)...)
		default:
			return nil, fmt.Errorf("unsupported match %T", m)
		}
	}
	switch s := r.Statement.(type) {
	case Accept:
		out = append(out, &expr.Verdict{Kind: expr.VerdictAccept})
	case Drop:
		out = append(out, &expr.Verdict{Kind: expr.VerdictDrop})
	case DNAT:
		fam := uint32(unix.NFPROTO_IPV4)
		if s.Addr.Is6() {
			fam = unix.NFPROTO_IPV6
		}
		out = append(out,
			&expr.Immediate{Register: regA, Data: s.Addr.AsSlice()},
			&expr.Immediate{Register: regB, Data: binaryutil.BigEndian.PutUint16(s.Port)},
			&expr.NAT{Type: expr.NATTypeDestNAT, Family: fam, RegAddrMin: regA, RegAddrMax: regA,
				RegProtoMin: regB, RegProtoMax: regB, Specified: true})
	default:
		return nil, fmt.Errorf("unsupported statement %T", s)
	}
	return out, nil
}

// ctBits is `ct KEY & bits != 0`, how nft matches a flag list.
func ctBits(key expr.CtKey, bits uint32) []expr.Any {
	return []expr.Any{
		&expr.Ct{Register: regA, Key: key},
		&expr.Bitwise{SourceRegister: regA, DestRegister: regA, Len: 4,
			Mask: binaryutil.NativeEndian.PutUint32(bits), Xor: make([]byte, 4)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: regA, Data: make([]byte, 4)},
	}
}

// addrOffset is where the address lies in the IPv4 or IPv6 header.
func addrOffset(f Family, d Dir) (offset, size uint32) {
	switch {
	case f == IP && d == Src:
		return 12, 4
	case f == IP:
		return 16, 4
	case d == Src:
		return 8, 16
	default:
		return 24, 16
	}
}

func protoNum(p Proto) byte {
	if p == UDP {
		return unix.IPPROTO_UDP
	}
	return unix.IPPROTO_TCP
}
