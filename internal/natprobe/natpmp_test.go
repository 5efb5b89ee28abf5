package natprobe

import (
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/p2pplan/p2pplan/internal/measurement"
)

var (
	pmpGW     = netip.MustParseAddr("10.0.1.1")
	pmpGWPort = netip.AddrPortFrom(pmpGW, natpmpPort)
	pmpMapped = netip.MustParseAddrPort("198.51.100.2:50000")
)

// pmpAnswer builds an external address response (RFC 6886 §3.2).
func pmpAnswer(version, opcode byte, code uint16, ext string) []byte {
	b := make([]byte, natpmpResponseLen)
	b[0], b[1] = version, opcode
	binary.BigEndian.PutUint16(b[2:4], code)
	binary.BigEndian.PutUint32(b[4:8], 4242) // seconds since start of epoch
	a := netip.MustParseAddr(ext).As4()
	copy(b[8:12], a[:])
	return b
}

func okAnswer(ext string) []byte { return pmpAnswer(0, 128, 0, ext) }

// pmpReply is one datagram the fake gateway sends back.
type pmpReply struct {
	b     []byte
	from  netip.AddrPort
	delay time.Duration
}

// pmpConn is an in-memory socket toward a fake gateway: respond says what
// comes back to each copy of the request (1 for the first transmission).
type pmpConn struct {
	respond func(copy int) []pmpReply
	refuse  bool // the gateway answers with ICMP port unreachable

	mu     sync.Mutex
	sends  int
	reqs   [][]byte
	in     chan pmpReply
	once   sync.Once
	closed chan struct{}
}

func newPMPConn(respond func(int) []pmpReply) *pmpConn {
	return &pmpConn{respond: respond, in: make(chan pmpReply, 16), closed: make(chan struct{})}
}

func (c *pmpConn) WriteTo(b []byte, to netip.AddrPort) error {
	c.mu.Lock()
	c.sends++
	n := c.sends
	c.reqs = append(c.reqs, append([]byte(nil), b...))
	c.mu.Unlock()
	if to != pmpGWPort {
		return nil // nobody there
	}
	if c.refuse {
		go func() {
			select {
			case c.in <- pmpReply{}:
			case <-c.closed:
			}
		}()
		return nil
	}
	if c.respond == nil {
		return nil
	}
	for _, r := range c.respond(n) {
		go func() {
			if r.delay > 0 {
				time.Sleep(r.delay)
			}
			select {
			case c.in <- r:
			case <-c.closed:
			}
		}()
	}
	return nil
}

func (c *pmpConn) ReadFrom(b []byte) (int, netip.AddrPort, error) {
	select {
	case r := <-c.in:
		if r.b == nil {
			return 0, netip.AddrPort{}, &net.OpError{Op: "read", Net: "udp", Err: syscall.ECONNREFUSED}
		}
		return copy(b, r.b), r.from, nil
	case <-c.closed:
		return 0, netip.AddrPort{}, net.ErrClosed
	}
}

func (c *pmpConn) LocalAddr() netip.AddrPort { return netip.MustParseAddrPort("10.0.1.2:41000") }

func (c *pmpConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}

func (c *pmpConn) copies() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sends
}

// testSchedule is short so the unanswered cases end quickly: 5 copies,
// 5+10+20+40 ms apart, then 25 ms: 100 ms in all.
var testSchedule = schedule{RTO: 5 * time.Millisecond, Rc: 5, Rm: 5}

func query(c *pmpConn) PMPResult {
	return queryExternalAddress(context.Background(), c, pmpGW, realClock{}, testSchedule)
}

// every answers each copy with the same replies.
func every(rs ...pmpReply) func(int) []pmpReply { return func(int) []pmpReply { return rs } }

func fromGW(b []byte) pmpReply { return pmpReply{b: b, from: pmpGWPort} }

// TestNATPMPRequest: the request is the two bytes of RFC 6886 §3.2 (version
// 0, opcode 0, the read-only external address request), sent to port 5351.
func TestNATPMPRequest(t *testing.T) {
	c := newPMPConn(nil)
	r := query(c)
	if !r.Sent || r.Answered || r.Gateway != pmpGW {
		t.Errorf("got %+v", r)
	}
	if c.copies() != testSchedule.Rc {
		t.Errorf("%d copies, want %d", c.copies(), testSchedule.Rc)
	}
	for _, req := range c.reqs {
		if len(req) != 2 || req[0] != 0 || req[1] != 0 {
			t.Errorf("request %x, want 0000", req)
		}
	}
}

// TestNATPMPAnswers: well-formed answers and how each reads as evidence.
func TestNATPMPAnswers(t *testing.T) {
	cases := []struct {
		name     string
		ext      string
		detected bool
		want     []string
	}{
		{"CGN address", "100.64.0.2", true, []string{"100.64.0.2", "RFC 6598", "second NAT"}},
		{"private address", "192.168.100.7", true, []string{"192.168.100.7", "RFC 1918", "second NAT"}},
		{"equal to the mapped address", "198.51.100.2", false, []string{"198.51.100.2", "the address the server saw", "not proof"}},
		{"public but different", "203.0.113.9", true, []string{"203.0.113.9", "198.51.100.2", "second NAT"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := query(newPMPConn(every(fromGW(okAnswer(c.ext)))))
			if !r.Answered || r.Result != 0 || r.External != netip.MustParseAddr(c.ext) {
				t.Fatalf("got %+v", r)
			}
			d, line := pmpEvidence(r, pmpMapped)
			if d != c.detected {
				t.Errorf("detected=%v, want %v (%s)", d, c.detected, line)
			}
			for _, w := range append(c.want, "RFC 6886") {
				if !strings.Contains(line, w) {
					t.Errorf("evidence %q lacks %q", line, w)
				}
			}
		})
	}
}

// TestNATPMPMalformed: anything but a well-formed answer from gateway:5351
// is discarded (RFC 6886 §3.1, §3.2); the request then goes unanswered.
func TestNATPMPMalformed(t *testing.T) {
	good := okAnswer("100.64.0.2")
	cases := []struct {
		name  string
		reply pmpReply
	}{
		{"wrong version", fromGW(pmpAnswer(1, 128, 0, "100.64.0.2"))},
		{"request opcode echoed", fromGW(pmpAnswer(0, 0, 0, "100.64.0.2"))},
		{"mapping opcode", fromGW(pmpAnswer(0, 129, 0, "100.64.0.2"))},
		{"from another address", pmpReply{b: good, from: netip.MustParseAddrPort("10.0.1.9:5351")}},
		{"from another port of the gateway", pmpReply{b: good, from: netip.AddrPortFrom(pmpGW, 5350)}},
		{"short packet", fromGW(good[:8])},
		{"two bytes", fromGW(good[:2])},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conn := newPMPConn(every(c.reply))
			r := query(conn)
			if r.Answered || r.External.IsValid() {
				t.Errorf("accepted: %+v", r)
			}
			if conn.copies() != testSchedule.Rc {
				t.Errorf("%d copies: a discarded answer must not end the request", conn.copies())
			}
			d, line := pmpEvidence(r, pmpMapped)
			if d || !strings.Contains(line, "did not answer") {
				t.Errorf("evidence %v %q", d, line)
			}
		})
	}
	// A bad datagram before the good one does not hide it.
	r := query(newPMPConn(every(fromGW(pmpAnswer(1, 128, 0, "192.0.2.99")), fromGW(okAnswer("100.64.0.2")))))
	if !r.Answered || r.External != netip.MustParseAddr("100.64.0.2") {
		t.Errorf("good answer after a bad one: %+v", r)
	}
}

// TestNATPMPErrorResult: a well-formed answer with a non-zero result code
// (RFC 6886 §3.5) gives no address and decides nothing; its address field is
// ignored.
func TestNATPMPErrorResult(t *testing.T) {
	for code, name := range map[uint16]string{1: "Unsupported Version", 2: "Not Authorized/Refused", 3: "Network Failure", 5: "Unsupported opcode"} {
		r := query(newPMPConn(every(fromGW(pmpAnswer(0, 128, code, "100.64.0.2")))))
		if !r.Answered || r.Result != code || r.External.IsValid() {
			t.Errorf("code %d: %+v", code, r)
		}
		d, line := pmpEvidence(r, pmpMapped)
		if d || !strings.Contains(line, name) {
			t.Errorf("code %d: %v %q", code, d, line)
		}
		tt, ok := pmpTest(r)
		if !ok || !tt.Answered || tt.Mapped != "" || !strings.Contains(tt.Error, name) {
			t.Errorf("code %d: raw test %+v", code, tt)
		}
	}
	// Success with 0.0.0.0: no address either.
	r := query(newPMPConn(every(fromGW(okAnswer("0.0.0.0")))))
	if d, _ := pmpEvidence(r, pmpMapped); d {
		t.Errorf("0.0.0.0 decided something: %+v", r)
	}
}

// TestNATPMPNoAnswer: silence lasts the schedule and decides nothing; an ICMP
// port unreachable ends the request at once.
func TestNATPMPNoAnswer(t *testing.T) {
	start := time.Now()
	r := query(newPMPConn(nil))
	if d := time.Since(start); d < testSchedule.total() || d > testSchedule.total()+200*time.Millisecond {
		t.Errorf("unanswered request took %v, schedule %v", d, testSchedule.total())
	}
	if _, line := pmpEvidence(r, pmpMapped); !strings.Contains(line, "10.0.1.1 did not answer") {
		t.Errorf("evidence %q", line)
	}

	c := newPMPConn(nil)
	c.refuse = true
	start = time.Now()
	r = query(c)
	if !r.Refused || r.Answered || time.Since(start) > testSchedule.total()/2 {
		t.Errorf("refused: %+v after %v", r, time.Since(start))
	}
	if d, line := pmpEvidence(r, pmpMapped); d || !strings.Contains(line, "port unreachable") {
		t.Errorf("refused evidence %v %q", d, line)
	}

	// A context that ends first ends the request.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	start = time.Now()
	r = queryExternalAddress(ctx, newPMPConn(nil), pmpGW, realClock{}, testSchedule)
	if r.Answered || time.Since(start) > testSchedule.total()/2 {
		t.Errorf("context: %+v after %v", r, time.Since(start))
	}
}

// TestNATPMPLostLateDuplicated: retransmission recovers lost copies; an
// answer that arrives after the schedule ended is not counted; duplicated
// answers count once, the first one wins.
func TestNATPMPLostLateDuplicated(t *testing.T) {
	t.Run("first copies lost", func(t *testing.T) {
		c := newPMPConn(func(n int) []pmpReply {
			if n < 3 {
				return nil
			}
			return []pmpReply{fromGW(okAnswer("100.64.0.2"))}
		})
		r := query(c)
		if !r.Answered || r.External != netip.MustParseAddr("100.64.0.2") || c.copies() != 3 {
			t.Errorf("got %+v after %d copies", r, c.copies())
		}
	})
	t.Run("late", func(t *testing.T) {
		late := fromGW(okAnswer("100.64.0.2"))
		late.delay = testSchedule.total() + 50*time.Millisecond
		c := newPMPConn(func(n int) []pmpReply {
			if n == 1 {
				return []pmpReply{late}
			}
			return nil
		})
		r := query(c)
		if r.Answered {
			t.Errorf("late answer counted: %+v", r)
		}
		time.Sleep(80 * time.Millisecond) // the late answer finds a closed socket
	})
	t.Run("late first copy, answered second", func(t *testing.T) {
		slow := fromGW(okAnswer("203.0.113.50"))
		slow.delay = 30 * time.Millisecond
		c := newPMPConn(func(n int) []pmpReply {
			if n == 1 {
				return []pmpReply{slow}
			}
			return []pmpReply{fromGW(okAnswer("100.64.0.2"))}
		})
		r := query(c)
		if !r.Answered || r.External != netip.MustParseAddr("100.64.0.2") {
			t.Errorf("got %+v", r)
		}
	})
	t.Run("duplicated", func(t *testing.T) {
		c := newPMPConn(every(fromGW(okAnswer("100.64.0.2")), fromGW(okAnswer("100.64.0.2")), fromGW(okAnswer("100.64.0.2"))))
		r := query(c)
		if !r.Answered || r.External != netip.MustParseAddr("100.64.0.2") || c.copies() != 1 {
			t.Errorf("got %+v after %d copies", r, c.copies())
		}
	})
}

// TestParseRouteTable reads /proc/net/route as Linux writes it.
func TestParseRouteTable(t *testing.T) {
	const header = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
	cases := []struct {
		name, table, want string
	}{
		{"default via 10.0.1.1", header +
			"eth0\t00000000\t0101000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n" +
			"eth0\t0001000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n", "10.0.1.1"},
		{"lowest metric wins", header +
			"wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n" +
			"eth0\t00000000\tFE0000C0\t0003\t0\t0\t300\t00000000\t0\t0\t0\n" +
			"eth0\t00000000\tFE0200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n", "192.0.2.254"},
		{"a down default is skipped", header +
			"eth0\t00000000\t0101000A\t0002\t0\t0\t0\t00000000\t0\t0\t0\n" +
			"eth1\tnot-hex\t01004064\t0003\t0\t0\t0\t00000000\t0\t0\t0\n" +
			"eth1\t00000000\t01004064\t0003\t0\t0\t5\t00000000\t0\t0\t0\n", "100.64.0.1"},
		{"no default route", header +
			"eth0\t0001000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n", ""},
		{"point-to-point default has no gateway", header +
			"ppp0\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0\n", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseRouteTable(strings.NewReader(c.table))
			if c.want == "" {
				if err == nil {
					t.Errorf("got %s, want an error", got)
				}
				return
			}
			if err != nil || got != netip.MustParseAddr(c.want) {
				t.Errorf("got %s, %v, want %s", got, err, c.want)
			}
		})
	}
}

// TestOperatorNATWithNATPMP: NAT-PMP evidence of a second NAT decides even
// when the path is silent or looks clear; evidence of none never overrides
// evidence of one; no answer decides nothing.
func TestOperatorNATWithNATPMP(t *testing.T) {
	a := netip.MustParseAddr
	answered := func(ext string) PMPResult {
		return PMPResult{Gateway: pmpGW, Sent: true, Answered: true, External: a(ext)}
	}
	silentPath := []Hop{{1, a("10.0.1.1"), false}, {4, a("192.0.2.1"), true}}
	publicPath := []Hop{{1, a("10.0.1.1"), false}, {2, a("198.51.100.1"), false}}
	cgnPath := []Hop{{1, a("10.0.1.1"), false}, {2, a("100.64.0.1"), false}}
	cases := []struct {
		name   string
		hops   []Hop
		pmp    PMPResult
		op     bool
		result string
		want   string
	}{
		{"ICMP filtered, router in 100.64/10", silentPath, answered("100.64.0.2"), true, OperatorNATDetected, "RFC 6598"},
		{"ICMP filtered, router in RFC 1918", silentPath, answered("10.20.30.40"), true, OperatorNATDetected, "RFC 1918"},
		{"ICMP filtered, public router address != mapped", silentPath, answered("203.0.113.9"), true, OperatorNATDetected, "second NAT"},
		{"ICMP filtered, router address = mapped", silentPath, answered("198.51.100.2"), false, OperatorNATInconclusive, "not proof"},
		{"ICMP filtered, NAT-PMP silent", silentPath, PMPResult{Gateway: pmpGW, Sent: true}, false, OperatorNATInconclusive, "did not answer"},
		{"ICMP filtered, NAT-PMP error", silentPath, PMPResult{Gateway: pmpGW, Sent: true, Answered: true, Result: 3}, false, OperatorNATInconclusive, "Network Failure"},
		{"ICMP filtered, NAT-PMP refused", silentPath, PMPResult{Gateway: pmpGW, Sent: true, Refused: true}, false, OperatorNATInconclusive, "port unreachable"},
		{"public hop but router in 100.64/10", publicPath, answered("100.64.0.2"), true, OperatorNATDetected, "RFC 6598"},
		{"CGN hop, router claims the mapped address", cgnPath, answered("198.51.100.2"), true, OperatorNATDetected, "hop 2"},
		{"no gateway", silentPath, PMPResult{Err: "no IPv4 default gateway"}, false, OperatorNATInconclusive, "not asked"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			op, res, ev := OperatorNAT(c.hops, pmpMapped, false, netip.Addr{}, c.pmp)
			all := strings.Join(ev, "\n")
			if op != c.op || res != c.result || !strings.Contains(all, c.want) {
				t.Errorf("got %v %s, want %v %s with %q:\n%s", op, res, c.op, c.result, c.want, all)
			}
		})
	}
}

// fakePMPNet hands the probe a fake gateway.
type fakePMPNet struct {
	gw   netip.Addr
	conn *pmpConn
	err  error
}

func (f fakePMPNet) DefaultGateway() (netip.Addr, error) { return f.gw, f.err }
func (f fakePMPNet) DialUDP(netip.Addr, netip.AddrPort) (Conn, error) {
	return f.conn, nil
}

func probeFakePMP(t *testing.T, f *fakeNet, hops HopProber, pn PMPNetwork) *measurement.Measurement {
	t.Helper()
	m, err := Probe(context.Background(), Options{Server: f.primary, Network: f, Clock: fastClock{10}, Hops: hops, NATPMP: pn})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestProbeNATPMP: the whole probe with a fake gateway: the raw test entry,
// and operator NAT found by NAT-PMP alone when the path probe sees nothing.
func TestProbeNATPMP(t *testing.T) {
	silent := fakeHops{hops: []Hop{{1, netip.MustParseAddr("10.0.1.1"), false}, {4, netip.MustParseAddr("192.0.2.1"), true}}}
	cgn := fakePMPNet{gw: pmpGW, conn: newPMPConn(every(fromGW(okAnswer("100.64.0.2"))))}
	m := probeFakePMP(t, newFakeNet(EI, APD), silent, cgn)
	wantProbe(t, m, EI, APD, measurement.PortRestrictedCone)
	if !m.OperatorNAT || m.OperatorNATResult != OperatorNATDetected || !strings.Contains(strings.Join(m.OperatorNATEvidence, " "), "100.64.0.2") {
		t.Errorf("operator_nat %v %s %q", m.OperatorNAT, m.OperatorNATResult, m.OperatorNATEvidence)
	}
	last := m.Tests[len(m.Tests)-1]
	want := measurement.Test{Name: "natpmp-external-address", Request: "10.0.1.1:5351 NAT-PMP opcode 0", Answered: true, From: "10.0.1.1:5351", Mapped: "100.64.0.2"}
	if len(m.Tests) != 7 || last != want {
		t.Errorf("tests %+v, last want %+v", m.Tests, want)
	}

	// The router's own address is what the server saw: consistent with no
	// operator NAT, but not proof of it, so with a silent path it stays
	// inconclusive.
	same := fakePMPNet{gw: pmpGW, conn: newPMPConn(every(fromGW(okAnswer("198.51.100.2"))))}
	m = probeFakePMP(t, newFakeNet(EI, APD), silent, same)
	if m.OperatorNAT || m.OperatorNATResult != OperatorNATInconclusive {
		t.Errorf("equal: operator_nat %v %s %q", m.OperatorNAT, m.OperatorNATResult, m.OperatorNATEvidence)
	}

	// No answer: inconclusive, and the raw test says so.
	quiet := fakePMPNet{gw: pmpGW, conn: newPMPConn(nil)}
	m = probeFakePMP(t, newFakeNet(EI, APD), silent, quiet)
	last = m.Tests[len(m.Tests)-1]
	if m.OperatorNAT || m.OperatorNATResult != OperatorNATInconclusive || last.Name != "natpmp-external-address" || last.Answered {
		t.Errorf("silent: operator_nat %v %s, last test %+v", m.OperatorNAT, m.OperatorNATResult, last)
	}

	// No default gateway: no raw test, a line in the evidence.
	m = probeFakePMP(t, newFakeNet(EI, APD), silent, fakePMPNet{err: errNoPath})
	if len(m.Tests) != 6 || !strings.Contains(strings.Join(m.OperatorNATEvidence, " "), "not asked") {
		t.Errorf("no gateway: tests %+v evidence %q", m.Tests, m.OperatorNATEvidence)
	}

	// UDP blocked: the gateway still answers on the LAN; a CGN address
	// there is a second NAT.
	f := newFakeNet(EI, EI)
	f.blockAll = true
	m = probeFakePMP(t, f, NoHops, fakePMPNet{gw: pmpGW, conn: newPMPConn(every(fromGW(okAnswer("100.64.0.2"))))})
	if !m.UDPBlocked || !m.OperatorNAT || m.OperatorNATResult != OperatorNATDetected {
		t.Errorf("udp blocked: %v %v %s %q", m.UDPBlocked, m.OperatorNAT, m.OperatorNATResult, m.OperatorNATEvidence)
	}
}
