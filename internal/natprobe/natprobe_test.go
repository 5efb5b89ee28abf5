package natprobe

import (
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/p2pplan/p2pplan/internal/measurement"
)

const (
	EI  = measurement.EndpointIndependent
	AD  = measurement.AddressDependent
	APD = measurement.AddressAndPortDependent
	INC = measurement.Inconclusive
)

var (
	srv      = netip.MustParseAddrPort("192.0.2.1:3478")
	alt      = netip.MustParseAddrPort("192.0.2.2:3479")
	altIP    = netip.MustParseAddrPort("192.0.2.2:3478")
	altPort  = netip.MustParseAddrPort("192.0.2.1:3479")
	hostAddr = netip.MustParseAddr("10.0.1.2")
	mLocal   = netip.MustParseAddrPort("10.0.1.2:40000")
	fLocal   = netip.MustParseAddrPort("10.0.1.2:40007")
	pub1     = netip.MustParseAddrPort("198.51.100.2:50011")
	pub2     = netip.MustParseAddrPort("198.51.100.2:50022")
	pub3     = netip.MustParseAddrPort("198.51.100.2:50033")
	fpub     = netip.MustParseAddrPort("198.51.100.2:50044")
)

func ans(from, mapped netip.AddrPort) Outcome {
	return Outcome{Ran: true, Answered: true, Answer: answer{From: from, Mapped: mapped, Other: alt}}
}

var silent = Outcome{Ran: true}

// ev builds evidence for a NAT whose mapping tests saw m1, m2, m3 and
// whose filtering tests II/III got f2/f3.
func ev(m1, m2, m3 Outcome, f1, f2, f3 Outcome) Evidence {
	return Evidence{Server: srv, MapLocal: mLocal, FiltLocal: fLocal, HostAddrs: []netip.Addr{hostAddr},
		MapI: m1, MapII: m2, MapIII: m3, FiltI: f1, FiltII: f2, FiltIII: f3}
}

// TestClassify covers every branch of RFC 5780 §4.3 (mapping) and §4.4
// (filtering), plus the cases where evidence is missing.
func TestClassify(t *testing.T) {
	mI := ans(srv, pub1)
	fI := ans(srv, fpub)
	fII := ans(alt, fpub)
	fIII := ans(altPort, fpub)
	cases := []struct {
		name                    string
		e                       Evidence
		mapping, filtering, nat string
		noNAT, blocked          bool
		note                    string
	}{
		{"udp blocked", ev(silent, Outcome{}, Outcome{}, silent, Outcome{}, Outcome{}), INC, INC, measurement.UDPBlocked, false, true, "blocked"},
		{"full cone: §4.3 II==I, §4.4 II answered", ev(mI, ans(altIP, pub1), Outcome{}, fI, fII, fIII), EI, EI, measurement.FullCone, false, false, ""},
		{"restricted: §4.4 III answered only", ev(mI, ans(altIP, pub1), Outcome{}, fI, silent, fIII), EI, AD, measurement.RestrictedCone, false, false, ""},
		{"port restricted: §4.4 II, III silent", ev(mI, ans(altIP, pub1), Outcome{}, fI, silent, silent), EI, APD, measurement.PortRestrictedCone, false, false, ""},
		{"address dependent mapping: III==II", ev(mI, ans(altIP, pub2), ans(alt, pub2), fI, silent, silent), AD, APD, measurement.Symmetric, false, false, ""},
		{"address and port dependent mapping", ev(mI, ans(altIP, pub2), ans(alt, pub3), fI, silent, silent), APD, APD, measurement.Symmetric, false, false, ""},
		{"symmetric with EIF is still symmetric", ev(mI, ans(altIP, pub2), ans(alt, pub3), fI, fII, fIII), APD, EI, measurement.Symmetric, false, false, ""},
		{"no NAT, no firewall", ev(ans(srv, mLocal), ans(altIP, mLocal), Outcome{}, ans(srv, fLocal), ans(alt, fLocal), ans(altPort, fLocal)), EI, EI, measurement.Open, true, false, ""},
		{"no NAT behind a firewall", ev(ans(srv, mLocal), ans(altIP, mLocal), Outcome{}, ans(srv, fLocal), silent, silent), EI, APD, measurement.Open, true, false, "firewall"},
		{"mapping II lost", ev(mI, silent, Outcome{}, fI, silent, silent), INC, APD, INC, false, false, "mapping test II"},
		{"mapping III lost after II differed: still symmetric", ev(mI, ans(altIP, pub2), silent, fI, silent, silent), INC, APD, measurement.Symmetric, false, false, "test III"},
		{"mapping I lost, filtering answered", ev(silent, silent, Outcome{}, fI, fII, fIII), INC, EI, INC, false, false, "mapping test I"},
		{"filtering I lost: silence proves nothing", ev(mI, ans(altIP, pub1), Outcome{}, silent, silent, silent), EI, INC, INC, false, false, "filtering test I"},
		{"filtering I lost but II answered: EIF holds", ev(mI, ans(altIP, pub1), Outcome{}, silent, fII, silent), EI, EI, measurement.FullCone, false, false, ""},
		{"filtering II answered from the wrong address", ev(mI, ans(altIP, pub1), Outcome{}, fI, ans(srv, fpub), silent), EI, INC, INC, false, false, "does not honour"},
		{"filtering III answered from the wrong address", ev(mI, ans(altIP, pub1), Outcome{}, fI, silent, ans(srv, fpub)), EI, INC, INC, false, false, "does not honour"},
		{"filtering cut short", ev(mI, ans(altIP, pub1), Outcome{}, fI, Outcome{}, Outcome{}), EI, INC, INC, false, false, "did not run"},
		{"server refuses CHANGE-REQUEST", ev(mI, ans(altIP, pub1), Outcome{}, fI, Outcome{Ran: true, Answered: true, Answer: answer{From: srv, Error: "420 Unknown Attribute"}}, silent), EI, INC, INC, false, false, "refused"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := Classify(c.e)
			if v.Mapping != c.mapping || v.Filtering != c.filtering || v.NAT != c.nat || v.NoNAT != c.noNAT || v.UDPBlocked != c.blocked {
				t.Errorf("got mapping=%s filtering=%s nat=%s no_nat=%v blocked=%v, want %s %s %s %v %v (notes %q)",
					v.Mapping, v.Filtering, v.NAT, v.NoNAT, v.UDPBlocked, c.mapping, c.filtering, c.nat, c.noNAT, c.blocked, v.Notes)
			}
			if c.note != "" && !strings.Contains(strings.Join(v.Notes, "\n"), c.note) {
				t.Errorf("notes %q lack %q", v.Notes, c.note)
			}
		})
	}
}

func TestClassifyWithoutRFC5780(t *testing.T) {
	noOther := func(o Outcome) Outcome { o.Answer.Other = netip.AddrPort{}; return o }
	v := Classify(ev(noOther(ans(srv, pub1)), Outcome{}, Outcome{}, noOther(ans(srv, fpub)), Outcome{}, Outcome{}))
	if v.ServerRFC5780 || v.Mapping != INC || v.Filtering != INC || v.NAT != INC || v.NoNAT || v.UDPBlocked {
		t.Errorf("got %+v", v)
	}
	if !strings.Contains(strings.Join(v.Notes, " "), "does not support RFC 5780") {
		t.Errorf("notes %q", v.Notes)
	}
	// What can still be proven: no NAT.
	v = Classify(ev(noOther(ans(srv, mLocal)), Outcome{}, Outcome{}, noOther(ans(srv, fLocal)), Outcome{}, Outcome{}))
	if !v.NoNAT || v.NAT != measurement.Open {
		t.Errorf("no NAT without RFC 5780: %+v", v)
	}
	// OTHER-ADDRESS that shares the primary IP cannot drive test II.
	same := func(o Outcome) Outcome { o.Answer.Other = altPort; return o }
	v = Classify(ev(same(ans(srv, pub1)), Outcome{}, Outcome{}, same(ans(srv, fpub)), Outcome{}, Outcome{}))
	if v.ServerRFC5780 || v.Mapping != INC {
		t.Errorf("one-IP server: %+v", v)
	}
}

func TestClassifyContradictoryNoNAT(t *testing.T) {
	v := Classify(ev(ans(srv, mLocal), ans(altIP, mLocal), Outcome{}, ans(srv, fpub), silent, silent))
	if v.NoNAT || v.NAT == measurement.Open {
		t.Errorf("one binding translated, one not: %+v", v)
	}
}

func TestSchedule(t *testing.T) {
	s := schedule{RTO: 10 * time.Millisecond, Rc: 7, Rm: 16}
	want := []time.Duration{10, 20, 40, 80, 160, 320, 160}
	for i := range want {
		want[i] *= time.Millisecond
	}
	if got := s.waits(); !reflect.DeepEqual(got, want) {
		t.Errorf("waits = %v, want %v (RFC 5389 §7.2.1)", got, want)
	}
	if s.total() != 790*time.Millisecond {
		t.Errorf("total = %v, want 79 RTO", s.total())
	}
	if got := initialSchedule(DefaultTimeout).total(); got > DefaultTimeout {
		t.Errorf("initial schedule %v exceeds the timeout", got)
	}
	if got := scaledSchedule(100*time.Microsecond, DefaultTimeout).RTO; got != minRTO {
		t.Errorf("LAN RTT: RTO %v, want the floor %v", got, minRTO)
	}
	// An Internet path: the unanswered test fits the budget.
	if got := scaledSchedule(30*time.Millisecond, DefaultTimeout).total(); got > DefaultTimeout {
		t.Errorf("30 ms RTT: an unanswered test lasts %v, more than %v", got, DefaultTimeout)
	}
	// A slow path: the final wait still covers four round trips.
	for _, rtt := range []time.Duration{50 * time.Millisecond, 300 * time.Millisecond, time.Second} {
		s := scaledSchedule(rtt, DefaultTimeout)
		if last := time.Duration(s.Rm) * s.RTO; last < 4*rtt {
			t.Errorf("%v RTT: final wait %v is shorter than four round trips", rtt, last)
		}
		if s.RTO > maxRTO {
			t.Errorf("%v RTT: RTO %v above the cap", rtt, s.RTO)
		}
	}
	// A user who raises --timeout gives the negative tests more time too.
	slow, fast := scaledSchedule(30*time.Millisecond, 3*time.Second), scaledSchedule(30*time.Millisecond, DefaultTimeout)
	if slow.RTO <= fast.RTO || slow.total() > 3*time.Second {
		t.Errorf("30 ms RTT, 3 s budget: RTO %v (total %v), with %v: %v", slow.RTO, slow.total(), DefaultTimeout, fast.RTO)
	}
}

func TestOperatorNAT(t *testing.T) {
	a := netip.MustParseAddr
	mapped := netip.MustParseAddrPort("198.51.100.2:50000")
	cases := []struct {
		name   string
		hops   []Hop
		noNAT  bool
		wan    netip.Addr
		op     bool
		result string
	}{
		{"CGN hop in shared space", []Hop{{1, a("10.0.1.1"), false}, {2, a("100.64.0.1"), false}, {3, a("198.51.100.1"), false}, {4, a("192.0.2.1"), true}}, false, netip.Addr{}, true, OperatorNATDetected},
		{"private hop beyond the first", []Hop{{1, a("192.168.1.1"), false}, {2, a("10.10.0.1"), false}, {3, a("192.0.2.1"), true}}, false, netip.Addr{}, true, OperatorNATDetected},
		{"public second hop", []Hop{{1, a("10.0.1.1"), false}, {2, a("198.51.100.1"), false}, {3, a("192.0.2.1"), true}}, false, netip.Addr{}, false, OperatorNATNotDetected},
		{"server right after the router", []Hop{{1, a("10.0.1.1"), false}, {2, a("192.0.2.1"), true}}, false, netip.Addr{}, false, OperatorNATNotDetected},
		{"silent path", nil, false, netip.Addr{}, false, OperatorNATInconclusive},
		{"second hop silent, third private", []Hop{{1, a("10.0.1.1"), false}, {3, a("100.64.1.1"), false}}, false, netip.Addr{}, true, OperatorNATDetected},
		{"declared WAN differs from mapped", nil, false, a("203.0.113.7"), true, OperatorNATDetected},
		{"declared WAN in 100.64/10", nil, false, a("100.64.3.3"), true, OperatorNATDetected},
		{"declared WAN equals mapped", nil, false, a("198.51.100.2"), false, OperatorNATNotDetected},
		{"no NAT", []Hop{{1, a("10.0.1.1"), false}, {2, a("100.64.0.1"), false}}, true, netip.Addr{}, false, OperatorNATNotDetected},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			op, res, evid := OperatorNAT(c.hops, mapped, c.noNAT, c.wan, PMPResult{})
			if op != c.op || res != c.result || len(evid) == 0 {
				t.Errorf("got %v %s %q, want %v %s", op, res, evid, c.op, c.result)
			}
		})
	}
}

// probeFake runs the whole probe over the in-memory network with timers
// compressed tenfold.
func probeFake(t *testing.T, f *fakeNet, hops HopProber) *measurement.Measurement {
	t.Helper()
	if hops == nil {
		hops = NoHops
	}
	m, err := Probe(context.Background(), Options{Server: f.primary, Network: f, Clock: fastClock{10}, Hops: hops, NATPMP: NoNATPMP})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	return m
}

func wantProbe(t *testing.T, m *measurement.Measurement, mapping, filtering, nat string) {
	t.Helper()
	if m.Mapping != mapping || m.Filtering != filtering || m.NAT != nat {
		var b bytes.Buffer
		_ = WriteText(&b, m)
		t.Errorf("got mapping=%s filtering=%s nat=%s, want %s %s %s\n%s", m.Mapping, m.Filtering, m.NAT, mapping, filtering, nat, b.String())
	}
}

func TestProbeBehaviours(t *testing.T) {
	cases := []struct {
		mapping, filter, nat string
	}{
		{EI, EI, measurement.FullCone},
		{EI, AD, measurement.RestrictedCone},
		{EI, APD, measurement.PortRestrictedCone},
		{AD, APD, measurement.Symmetric},
		{APD, APD, measurement.Symmetric},
		{APD, EI, measurement.Symmetric},
	}
	for _, c := range cases {
		t.Run(c.nat+"/"+c.mapping+"/"+c.filter, func(t *testing.T) {
			m := probeFake(t, newFakeNet(c.mapping, c.filter), nil)
			wantProbe(t, m, c.mapping, c.filter, c.nat)
			if m.NoNAT || m.UDPBlocked || !m.ServerRFC5780 || m.Mapped == "" || len(m.Tests) != 6 {
				t.Errorf("measurement %+v", m)
			}
		})
	}
}

func TestProbeNoNAT(t *testing.T) {
	f := newFakeNet(EI, "")
	f.noNAT = true
	m := probeFake(t, f, nil)
	wantProbe(t, m, EI, EI, measurement.Open)
	if !m.NoNAT || m.OperatorNAT {
		t.Errorf("no_nat=%v operator_nat=%v", m.NoNAT, m.OperatorNAT)
	}
}

func TestProbeUDPBlocked(t *testing.T) {
	f := newFakeNet(EI, EI)
	f.blockAll = true
	start := time.Now()
	m := probeFake(t, f, nil)
	if !m.UDPBlocked || m.NAT != measurement.UDPBlocked {
		t.Errorf("got %+v", m)
	}
	// Compressed tenfold: the first-answer timeout bounds the wait.
	if d := time.Since(start); d > DefaultTimeout/10+200*time.Millisecond {
		t.Errorf("took %v", d)
	}
	for _, tt := range m.Tests {
		if tt.Answered {
			t.Errorf("test %s answered", tt.Name)
		}
	}
}

// TestProbeLoss: every request and every answer of the first transmissions
// is lost; retransmission recovers, the verdict is right.
func TestProbeLoss(t *testing.T) {
	for _, c := range []struct{ mapping, filter, nat string }{
		{EI, EI, measurement.FullCone}, {EI, AD, measurement.RestrictedCone}, {APD, APD, measurement.Symmetric},
	} {
		f := newFakeNet(c.mapping, c.filter)
		f.drop = func(p pkt) bool {
			// Requests 1 and 2 lost on the way out, answer to copy 3 lost
			// on the way back: only copy 4 gets through.
			return p.Copy <= 2 || (p.Copy == 3 && p.Answer)
		}
		wantProbe(t, probeFake(t, f, nil), c.mapping, c.filter, c.nat)
	}
}

// TestProbeTotalLoss: when every copy of a test is lost, the verdict is
// inconclusive, never a wrong behaviour.
func TestProbeTotalLoss(t *testing.T) {
	t.Run("mapping II", func(t *testing.T) {
		f := newFakeNet(EI, EI)
		f.drop = func(p pkt) bool { return p.Conn == 0 && p.Dst.Addr() == f.alt.Addr() }
		wantProbe(t, probeFake(t, f, nil), INC, EI, INC)
	})
	t.Run("filtering I", func(t *testing.T) {
		f := newFakeNet(EI, APD)
		f.drop = func(p pkt) bool { return p.Conn == 1 && p.Change == changeNone }
		wantProbe(t, probeFake(t, f, nil), EI, INC, INC)
	})
	t.Run("mapping I", func(t *testing.T) {
		f := newFakeNet(EI, EI)
		f.drop = func(p pkt) bool { return p.Conn == 0 && p.Dst == f.primary }
		m := probeFake(t, f, nil)
		if m.UDPBlocked || m.Mapping != INC || m.Mapped == "" {
			t.Errorf("got %+v", m)
		}
	})
}

func TestProbeDuplicates(t *testing.T) {
	f := newFakeNet(EI, AD)
	f.dup = true
	wantProbe(t, probeFake(t, f, nil), EI, AD, measurement.RestrictedCone)
}

// TestProbeLateAnswers: the answer to each first copy arrives after the
// retransmission's answer (and, for some, after the transaction ended). Late
// and stale answers are dropped; they never complete another test.
func TestProbeLateAnswers(t *testing.T) {
	f := newFakeNet(EI, AD)
	f.delay = func(p pkt) time.Duration {
		if p.Copy == 1 {
			return 30 * time.Millisecond
		}
		return 0
	}
	f.drop = func(p pkt) bool { return false }
	m := probeFake(t, f, nil)
	wantProbe(t, m, EI, AD, measurement.RestrictedCone)
}

func TestProbeServerWithoutOtherAddress(t *testing.T) {
	f := newFakeNet(EI, EI)
	f.noOther = true
	m := probeFake(t, f, nil)
	wantProbe(t, m, INC, INC, INC)
	if m.ServerRFC5780 || m.Mapped == "" || m.UDPBlocked || len(m.Notes) == 0 || !strings.Contains(m.Notes[0], "RFC 5780") {
		t.Errorf("got %+v", m)
	}
}

func TestProbeServerIgnoresChangeRequest(t *testing.T) {
	f := newFakeNet(EI, EI)
	f.ignoreChange = true
	wantProbe(t, probeFake(t, f, nil), EI, INC, INC)

	f = newFakeNet(EI, EI)
	f.refuseChange = true
	wantProbe(t, probeFake(t, f, nil), EI, INC, INC)
}

func TestProbeOperatorNATFromHops(t *testing.T) {
	f := newFakeNet(EI, APD)
	hops := fakeHops{hops: []Hop{{1, netip.MustParseAddr("10.0.1.1"), false}, {2, netip.MustParseAddr("100.64.0.1"), false}}}
	m := probeFake(t, f, hops)
	if !m.OperatorNAT || m.OperatorNATResult != OperatorNATDetected {
		t.Errorf("operator_nat %v %s %q", m.OperatorNAT, m.OperatorNATResult, m.OperatorNATEvidence)
	}
	m = probeFake(t, newFakeNet(EI, APD), fakeHops{err: errNoPath})
	if m.OperatorNAT || m.OperatorNATResult != OperatorNATInconclusive || !strings.Contains(strings.Join(m.OperatorNATEvidence, " "), "no path") {
		t.Errorf("failed path probe: %v %s %q", m.OperatorNAT, m.OperatorNATResult, m.OperatorNATEvidence)
	}
}

// TestWriteText: same measurement, same bytes; every SPEC §4 value shown.
func TestWriteText(t *testing.T) {
	m := &measurement.Measurement{
		Server: "stun.lab:3478", Local: "10.0.1.2:40000", Mapped: "198.51.100.2:40000",
		Mapping: EI, Filtering: APD, NAT: measurement.PortRestrictedCone,
		OperatorNAT: true, OperatorNATResult: OperatorNATDetected, OperatorNATEvidence: []string{"hop 2: 100.64.0.1"},
		ServerRFC5780: true, RTTMs: 0.42, DurationMs: 480.1,
		Tests: []measurement.Test{{Name: "mapping-I", Request: "192.0.2.1:3478", Answered: true, From: "192.0.2.1:3478", Mapped: "198.51.100.2:40000"}, {Name: "filtering-II", Request: "192.0.2.1:3478 CHANGE-REQUEST(ip,port)"}},
		Notes: []string{"a note"},
	}
	var a, b bytes.Buffer
	if err := WriteText(&a, m); err != nil {
		t.Fatal(err)
	}
	_ = WriteText(&b, m)
	if a.String() != b.String() {
		t.Error("WriteText is not deterministic")
	}
	for _, want := range []string{"port_restricted_cone", "endpoint_independent", "address_and_port_dependent", "Operator NAT:  yes (detected)", "hop 2: 100.64.0.1", "198.51.100.2:40000", "no answer", "a note", "480.1 ms"} {
		if !strings.Contains(a.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, a.String())
		}
	}
	raw, _ := json.Marshal(m)
	for _, key := range []string{`"server"`, `"local"`, `"mapped"`, `"mapping"`, `"filtering"`, `"nat"`, `"no_nat"`, `"udp_blocked"`, `"operator_nat"`, `"operator_nat_evidence"`, `"rtt_ms"`, `"duration_ms"`, `"tests"`} {
		if !strings.Contains(string(raw), key) {
			t.Errorf("JSON lacks %s", key)
		}
	}
}
