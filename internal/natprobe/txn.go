package natprobe

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/pion/stun/v2"
)

// Conn is the datagram socket the probe talks through. The real one is a
// UDP socket; unit tests pass an in-memory fake, so no test of the
// classification needs a socket (the pion/stun client takes a plain
// connection for the same reason).
type Conn interface {
	WriteTo(b []byte, to netip.AddrPort) error
	// ReadFrom blocks until a datagram arrives or the Conn is closed.
	ReadFrom(b []byte) (int, netip.AddrPort, error)
	LocalAddr() netip.AddrPort
	Close() error
}

// Network opens Conns and lists the host's own addresses (for "no NAT").
type Network interface {
	ListenUDP(local netip.AddrPort) (Conn, error)
	LocalAddrs() ([]netip.Addr, error)
	// SourceFor is the local address the routing table picks toward dst,
	// reported as the probe's local address when none was given.
	SourceFor(dst netip.AddrPort) (netip.Addr, error)
}

// Clock is the probe's time source, injected so retransmission timing can be
// driven by tests.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// schedule is the RFC 5389 §7.2.1 retransmission schedule: the request is
// sent Rc times, the interval starting at RTO and doubling; after the last
// send the client waits Rm*RTO before giving up.
type schedule struct {
	RTO time.Duration
	Rc  int
	Rm  int
}

// waits returns how long to wait after each send (len == Rc).
func (s schedule) waits() []time.Duration {
	out := make([]time.Duration, 0, s.Rc)
	d := s.RTO
	for i := 0; i < s.Rc; i++ {
		if i == s.Rc-1 {
			out = append(out, time.Duration(s.Rm)*s.RTO)
			break
		}
		out = append(out, d)
		d *= 2
	}
	return out
}

// total is how long an unanswered transaction lasts.
func (s schedule) total() time.Duration {
	var t time.Duration
	for _, w := range s.waits() {
		t += w
	}
	return t
}

// result is the outcome of one transaction.
type result struct {
	Answered bool
	Answer   answer
	Sends    int           // transmissions made
	RTT      time.Duration // since the last copy was sent
	// Retransmitted: the answer came after a retransmission, so RTT is a
	// lower bound (the answer may belong to an earlier copy).
	Retransmitted bool
	Elapsed       time.Duration
}

type inbound struct {
	a  answer
	at time.Time
}

// client runs STUN transactions over one Conn. One read loop dispatches each
// response to its transaction by transaction ID (RFC 5389 §7.3.3); responses
// for unknown IDs — late answers to finished transactions, answers to
// someone else — are dropped, and a duplicate answer is ignored because the
// transaction has already completed.
type client struct {
	conn  Conn
	clock Clock

	mu      sync.Mutex
	pending map[[stun.TransactionIDSize]byte]chan inbound
	done    chan struct{}
}

func newClient(conn Conn, clock Clock) *client {
	c := &client{conn: conn, clock: clock, pending: map[[stun.TransactionIDSize]byte]chan inbound{}, done: make(chan struct{})}
	go c.readLoop()
	return c
}

func (c *client) readLoop() {
	defer close(c.done)
	buf := make([]byte, 1500)
	for {
		n, from, err := c.conn.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// ICMP errors reported on the socket: keep reading; silence is
			// handled by the transaction timers.
			continue
		}
		if !stun.IsMessage(buf[:n]) {
			continue
		}
		m := &stun.Message{Raw: append([]byte(nil), buf[:n]...)}
		if err := m.Decode(); err != nil {
			continue
		}
		a, err := parseAnswer(m, from)
		if err != nil {
			continue
		}
		c.mu.Lock()
		ch := c.pending[m.TransactionID]
		c.mu.Unlock()
		if ch == nil {
			continue
		}
		select {
		case ch <- inbound{a: a, at: c.clock.Now()}:
		default: // duplicate: the transaction already has its answer
		}
	}
}

// close closes the Conn and waits for the read loop.
func (c *client) close() {
	_ = c.conn.Close()
	<-c.done
}

// do runs one Binding transaction to dst with the given CHANGE-REQUEST flags,
// retransmitting on s. The same request (same transaction ID) is resent, so
// an answer to any copy completes it (RFC 5389 §7.2.1).
func (c *client) do(ctx context.Context, dst netip.AddrPort, ch change, s schedule) result {
	req, err := newRequest(ch)
	if err != nil {
		return result{}
	}
	in := make(chan inbound, 1)
	c.mu.Lock()
	c.pending[req.TransactionID] = in
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, req.TransactionID)
		c.mu.Unlock()
	}()

	start := c.clock.Now()
	var r result
	var lastSend time.Time
	for _, wait := range s.waits() {
		lastSend = c.clock.Now()
		// A failed send (e.g. EPERM from a local firewall) is a lost packet
		// as far as the verdict is concerned: the timers decide.
		_ = c.conn.WriteTo(req.Raw, dst)
		r.Sends++
		timer := c.clock.After(wait)
		select {
		case got := <-in:
			r.Answered = true
			r.Answer = got.a
			r.Elapsed = got.at.Sub(start)
			// Karn's rule (RFC 6298 §3): after a retransmission the
			// answer may belong to any copy; the time since the last copy
			// is a lower bound, kept apart so callers can tell.
			r.RTT = got.at.Sub(lastSend)
			r.Retransmitted = r.Sends > 1
			return r
		case <-timer:
		case <-ctx.Done():
			r.Elapsed = c.clock.Now().Sub(start)
			return r
		}
	}
	r.Elapsed = c.clock.Now().Sub(start)
	return r
}

// udpNetwork is the real Network: UDP/IPv4 sockets.
type udpNetwork struct{}

// SystemNetwork returns the host's UDP/IPv4 network.
func SystemNetwork() Network { return udpNetwork{} }

func (udpNetwork) ListenUDP(local netip.AddrPort) (Conn, error) {
	c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(local))
	if err != nil {
		return nil, err
	}
	return udpConn{c}, nil
}

func (udpNetwork) LocalAddrs() ([]netip.Addr, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, p.Addr().Unmap())
		}
	}
	return out, nil
}

func (udpNetwork) SourceFor(dst netip.AddrPort) (netip.Addr, error) {
	// Connecting a UDP socket only asks the routing table; nothing is sent.
	c, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(dst))
	if err != nil {
		return netip.Addr{}, err
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap(), nil
}

type udpConn struct{ c *net.UDPConn }

func (u udpConn) WriteTo(b []byte, to netip.AddrPort) error {
	_, err := u.c.WriteToUDPAddrPort(b, to)
	return err
}

func (u udpConn) ReadFrom(b []byte) (int, netip.AddrPort, error) {
	n, from, err := u.c.ReadFromUDPAddrPort(b)
	return n, netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), err
}

func (u udpConn) LocalAddr() netip.AddrPort {
	return u.c.LocalAddr().(*net.UDPAddr).AddrPort()
}

func (u udpConn) Close() error { return u.c.Close() }
