package nftables

import (
	"fmt"
	"net/netip"
	"reflect"
	"testing"

	gnft "github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/p2pplan/p2pplan/internal/plan"
)

// The expressions of a PAT DNAT and its forward accept are the ones nft
// emits for the same text (nft --debug=netlink, nft 1.0.6).
func TestToNetlinkExprs(t *testing.T) {
	rs := mustBuild(t, samplePlan("x", nil), plan.ModePAT)
	n, err := ToNetlink(rs)
	if err != nil {
		t.Fatal(err)
	}
	if n.Table.Name != "p2pplan" || n.Table.Family != gnft.TableFamilyINet {
		t.Fatalf("table %+v", n.Table)
	}
	if len(n.Chains) != 2 || n.Chains[0].Name != "prerouting" || *n.Chains[0].Priority != -100 ||
		*n.Chains[0].Hooknum != unix.NF_INET_PRE_ROUTING || *n.Chains[1].Policy != gnft.ChainPolicyAccept {
		t.Fatalf("chains %+v %+v", n.Chains[0], n.Chains[1])
	}
	// rule 2: ip daddr 198.51.100.23 tcp dport 40001 dnat ip to 192.168.1.108:37777
	wantDNAT := []expr.Any{
		&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.NFPROTO_IPV4}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 16, Len: 4},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{198, 51, 100, 23}},
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.IPPROTO_TCP}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{0x9c, 0x41}},
		&expr.Immediate{Register: 1, Data: []byte{192, 168, 1, 108}},
		&expr.Immediate{Register: 2, Data: []byte{0x93, 0x91}},
		&expr.NAT{Type: expr.NATTypeDestNAT, Family: unix.NFPROTO_IPV4, RegAddrMin: 1, RegAddrMax: 1, RegProtoMin: 2, RegProtoMax: 2, Specified: true},
	}
	if got := n.Rules[1].Exprs; !reflect.DeepEqual(got, wantDNAT) {
		t.Errorf("dnat exprs:\n%s\nwant\n%s", dump(got), dump(wantDNAT))
	}
	if c, _ := userdata.GetString(n.Rules[1].UserData, userdata.TypeComment); c != "pat nvr/main tcp 40001 to 37777" {
		t.Errorf("comment %q", c)
	}
	// forward rule 3: ip saddr @clients4 ip daddr 192.168.1.108 tcp dport 37777 ct status dnat accept
	wantFwd := []expr.Any{
		&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.NFPROTO_IPV4}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
		&expr.Lookup{SourceRegister: 1, SetName: "clients4", SetID: 1},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 16, Len: 4},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{192, 168, 1, 108}},
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.IPPROTO_TCP}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{0x93, 0x91}},
		&expr.Ct{Register: 1, Key: expr.CtKeySTATUS},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: []byte{0x20, 0, 0, 0}, Xor: []byte{0, 0, 0, 0}},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: []byte{0, 0, 0, 0}},
		&expr.Verdict{Kind: expr.VerdictAccept},
	}
	if got := n.Rules[5].Exprs; !reflect.DeepEqual(got, wantFwd) {
		t.Errorf("forward exprs:\n%s\nwant\n%s", dump(got), dump(wantFwd))
	}
	// The scoped drops that end the forward chain (policy accept), as nft
	// 1.0.6 emits them for the same text:
	//   ip daddr 192.168.1.108 drop
	//     [ meta load nfproto => reg 1 ] [ cmp eq reg 1 0x00000002 ]
	//     [ payload load 4b @ network header + 16 => reg 1 ] [ cmp eq reg 1 0x6c01a8c0 ]
	//     [ immediate reg 0 drop ]
	//   ct status dnat drop
	//     [ ct load status => reg 1 ] [ bitwise reg 1 = ( reg 1 & 0x00000020 ) ^ 0x00000000 ]
	//     [ cmp neq reg 1 0x00000000 ] [ immediate reg 0 drop ]
	wantDropHost := []expr.Any{
		&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.NFPROTO_IPV4}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 16, Len: 4},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{192, 168, 1, 108}},
		&expr.Verdict{Kind: expr.VerdictDrop},
	}
	if got := n.Rules[8].Exprs; !reflect.DeepEqual(got, wantDropHost) {
		t.Errorf("ip daddr drop exprs:\n%s\nwant\n%s", dump(got), dump(wantDropHost))
	}
	if c, _ := userdata.GetString(n.Rules[8].UserData, userdata.TypeComment); c != "pat nvr not exposed otherwise" {
		t.Errorf("drop comment %q", c)
	}
	if len(n.Rules) != 9 {
		t.Fatalf("%d rules, want 9", len(n.Rules))
	}
	// The interval encoding of { 198.51.100.0/24, 203.0.113.0/24 }, as nft
	// sends it: a zero end, then start/end pairs.
	wantElems := []gnft.SetElement{
		{Key: []byte{0, 0, 0, 0}, IntervalEnd: true},
		{Key: []byte{198, 51, 100, 0}}, {Key: []byte{198, 51, 101, 0}, IntervalEnd: true},
		{Key: []byte{203, 0, 113, 0}}, {Key: []byte{203, 0, 114, 0}, IntervalEnd: true},
	}
	if got := n.Sets[0].Elements; !reflect.DeepEqual(got, wantElems) {
		t.Errorf("set elements %+v, want %+v", got, wantElems)
	}
}

// The vpn forward chain has policy accept and ends with
// `iifname "wg-p2pplan" drop`, as nft 1.0.6 emits it:
//
//	[ meta load iifname => reg 1 ]
//	[ cmp eq reg 1 0x702d6777 0x6c707032 0x00006e61 0x00000000 ]
//	[ immediate reg 0 drop ]
func TestToNetlinkVPNDrop(t *testing.T) {
	n, err := ToNetlink(mustBuild(t, samplePlan("x", nil), plan.ModeVPN))
	if err != nil {
		t.Fatal(err)
	}
	if len(n.Chains) != 1 || *n.Chains[0].Policy != gnft.ChainPolicyAccept || *n.Chains[0].Hooknum != unix.NF_INET_FORWARD {
		t.Fatalf("chains %+v", n.Chains)
	}
	want := []expr.Any{
		&expr.Meta{Key: expr.MetaKeyIIFNAME, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte("wg-p2pplan\x00\x00\x00\x00\x00\x00")},
		&expr.Verdict{Kind: expr.VerdictDrop},
	}
	last := n.Rules[len(n.Rules)-1]
	if !reflect.DeepEqual(last.Exprs, want) {
		t.Errorf("iifname drop exprs:\n%s\nwant\n%s", dump(last.Exprs), dump(want))
	}
	if c, _ := userdata.GetString(last.UserData, userdata.TypeComment); c != "vpn nothing else from the tunnel" {
		t.Errorf("comment %q", c)
	}
}

func dump(es []expr.Any) string {
	s := ""
	for _, e := range es {
		s += fmt.Sprintf("  %T %+v\n", e, e)
	}
	return s
}

// Converting to expressions and decoding them back gives the model again,
// for every rule of every generated ruleset, and sets survive their interval
// encoding.
func TestNetlinkRoundTrip(t *testing.T) {
	for _, c := range goldenCases() {
		rs := mustBuild(t, c.sp, c.mode)
		n, err := ToNetlink(rs)
		if err != nil {
			t.Fatal(err)
		}
		k := 0
		for ci, ch := range rs.Table.Chains {
			var rules []*gnft.Rule
			for range ch.Rules {
				rules = append(rules, n.Rules[k])
				k++
			}
			got := DecodeChain(n.Chains[ci], rules)
			if !reflect.DeepEqual(got, ch) {
				t.Errorf("%s: chain %s decodes to\n%s\nwant\n%s", c.name, ch.Name,
					FormatTable(&Table{Chains: []Chain{got}}), FormatTable(&Table{Chains: []Chain{ch}}))
			}
		}
		for i, s := range rs.Table.Sets {
			if got := decodeSet(n.Sets[i].Set, n.Sets[i].Elements); !reflect.DeepEqual(got, s) {
				t.Errorf("%s: set %s decodes to %+v", c.name, s.Name, got)
			}
		}
	}
	// Prefixes that are not byte-aligned use a mask; ranges ending at the
	// last address have no end element.
	ps := []netip.Prefix{netip.MustParsePrefix("192.0.2.8/29"), netip.MustParsePrefix("255.255.255.0/24")}
	s := Set{Name: "s", Type: IPv4Addr, Elements: ps}
	if got := decodeSet(&gnft.Set{Name: "s", KeyType: gnft.TypeIPAddr, Interval: true}, intervalElements(ps)); !reflect.DeepEqual(got, s) {
		t.Errorf("set decodes to %+v", got)
	}
	r := Rule{Matches: []Match{Addr{Dir: Src, Prefix: netip.MustParsePrefix("192.0.2.8/29")}, Addr{Dir: Dst, Prefix: netip.MustParsePrefix("192.168.1.2/32")}, Port{UDP, 9}}, Statement: Accept{}}
	ex, err := ruleExprs(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := DecodeRule(&gnft.Rule{Exprs: ex}); !reflect.DeepEqual(got, r) {
		t.Errorf("masked prefix decodes to %q", FormatRule(got))
	}
}

// Expressions the model cannot express are reported, never dropped: a bare
// `meta l4proto tcp accept` must not read back as `accept`.
func TestDecodeUnknown(t *testing.T) {
	for name, ex := range map[string][]expr.Any{
		"bare l4proto": {
			&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.IPPROTO_TCP}},
			&expr.Verdict{Kind: expr.VerdictAccept},
		},
		"counter": {&expr.Counter{}, &expr.Verdict{Kind: expr.VerdictAccept}},
		"jump":    {&expr.Verdict{Kind: expr.VerdictJump, Chain: "x"}},
		"port range": {
			&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.IPPROTO_TCP}},
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
			&expr.Range{Op: expr.CmpOpEq, Register: 1, FromData: []byte{0, 1}, ToData: []byte{0, 9}},
			&expr.Verdict{Kind: expr.VerdictAccept},
		},
		"no statement": {},
	} {
		if r := DecodeRule(&gnft.Rule{Handle: 7, Exprs: ex}); r.Unknown == "" {
			t.Errorf("%s decoded as %q", name, FormatRule(r))
		}
	}
}

// Queue sends one batch: add, delete and add our table, then its sets,
// chains and rules — nothing about any other table.
func TestQueueBatch(t *testing.T) {
	rs := mustBuild(t, samplePlan("x", nil), plan.ModePAT)
	n, err := ToNetlink(rs)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	c, err := gnft.New(gnft.WithTestDial(func(req []netlink.Message) ([]netlink.Message, error) {
		for _, m := range req {
			got = append(got, msgName(m))
		}
		return req, nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Queue(c); err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	want := []string{"batch-begin", "newtable", "deltable", "newtable", "newset", "newsetelem",
		"newchain", "newchain", "newrule", "newrule", "newrule", "newrule", "newrule", "newrule", "newrule",
		"newrule", "newrule", "batch-end"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("batch %v\nwant %v", got, want)
	}
}

// The rules survive the wire: the NEWRULE messages Queue sends, handed back
// by a fake kernel as the reply to GetRules, decode to the very chains built
// — the scoped drops (ip daddr, ip6 daddr, ct status dnat, iifname)
// included, for every generated ruleset.
func TestQueueWireRoundTrip(t *testing.T) {
	for _, gc := range goldenCases() {
		rs := mustBuild(t, gc.sp, gc.mode)
		n, err := ToNetlink(rs)
		if err != nil {
			t.Fatal(err)
		}
		sent := map[string][]netlink.Message{} // chain → its NEWRULE messages
		c, err := gnft.New(gnft.WithTestDial(func(req []netlink.Message) ([]netlink.Message, error) {
			for _, m := range req {
				switch uint16(m.Header.Type) {
				case unix.NFNL_SUBSYS_NFTABLES<<8 | unix.NFT_MSG_NEWRULE:
					chain, err := ruleChainAttr(m)
					if err != nil {
						return nil, err
					}
					sent[chain] = append(sent[chain], m)
				case unix.NFNL_SUBSYS_NFTABLES<<8 | unix.NFT_MSG_GETRULE:
					chain, err := ruleChainAttr(m)
					if err != nil {
						return nil, err
					}
					return sent[chain], nil
				}
			}
			return req, nil
		}))
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Queue(c); err != nil {
			t.Fatal(err)
		}
		if err := c.Flush(); err != nil {
			t.Fatal(err)
		}
		for i, ch := range rs.Table.Chains {
			rules, err := c.GetRules(n.Table, n.Chains[i])
			if err != nil {
				t.Fatalf("%s: GetRules: %v", gc.name, err)
			}
			if got := DecodeChain(n.Chains[i], rules); !reflect.DeepEqual(got, ch) {
				t.Errorf("%s: chain %s comes back from the wire as\n%s\nwant\n%s", gc.name, ch.Name,
					FormatTable(&Table{Chains: []Chain{got}}), FormatTable(&Table{Chains: []Chain{ch}}))
			}
		}
	}
}

// ruleChainAttr is the NFTA_RULE_CHAIN attribute of a rule message (after
// the 4-byte nfgenmsg header).
func ruleChainAttr(m netlink.Message) (string, error) {
	ad, err := netlink.NewAttributeDecoder(m.Data[4:])
	if err != nil {
		return "", err
	}
	for ad.Next() {
		if ad.Type() == unix.NFTA_RULE_CHAIN {
			return ad.String(), nil
		}
	}
	return "", fmt.Errorf("rule message without a chain: %v", ad.Err())
}

func msgName(m netlink.Message) string {
	switch t := uint16(m.Header.Type); t {
	case unix.NFNL_MSG_BATCH_BEGIN:
		return "batch-begin"
	case unix.NFNL_MSG_BATCH_END:
		return "batch-end"
	default:
		names := map[uint16]string{unix.NFT_MSG_NEWTABLE: "newtable", unix.NFT_MSG_DELTABLE: "deltable",
			unix.NFT_MSG_NEWCHAIN: "newchain", unix.NFT_MSG_NEWRULE: "newrule", unix.NFT_MSG_NEWSET: "newset",
			unix.NFT_MSG_NEWSETELEM: "newsetelem"}
		if n, ok := names[t&0xff]; ok && t>>8 == unix.NFNL_SUBSYS_NFTABLES {
			return n
		}
		return fmt.Sprintf("type-%#x", t)
	}
}
