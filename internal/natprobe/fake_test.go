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

// fakeNet is an in-memory host, NAT and RFC 5780 server: the probe runs
// end to end with no socket. The NAT's mapping and filtering follow RFC 4787
// §4.1 and §5; the server answers as RFC 5780 §6 says.
type fakeNet struct {
	mu sync.Mutex

	host    netip.Addr // the host's own address
	public  netip.Addr // the NAT's public address (unused when noNAT)
	noNAT   bool
	mapping string // measurement.EndpointIndependent, AddressDependent, AddressAndPortDependent
	filter  string

	primary, alt netip.AddrPort // server addresses (alt = OTHER-ADDRESS)
	noOther      bool           // the server omits OTHER-ADDRESS
	ignoreChange bool           // the server answers CHANGE-REQUEST from the primary address
	refuseChange bool           // the server answers CHANGE-REQUEST with 420
	blockAll     bool           // UDP blocked: nothing goes out
	drop         func(p pkt) bool
	dup          bool                      // every answer is delivered twice
	delay        func(p pkt) time.Duration // answer delay

	conns    []*fakeConn
	nextPort uint16
	maps     map[string]uint16                  // mapping key → public port
	perms    map[uint16]map[netip.AddrPort]bool // public port → remote endpoints sent to
	copies   map[[12]byte]int                   // transmissions seen per transaction
	outbound int
}

// pkt describes a request as the fault injectors see it.
type pkt struct {
	Conn   int            // 0 = mapping socket, 1 = filtering socket (open order)
	Dst    netip.AddrPort // where the request was sent
	Change change
	Copy   int  // 1 for the first transmission of a transaction
	Answer bool // false: the request itself; true: the server's answer
}

func newFakeNet(mapping, filter string) *fakeNet {
	return &fakeNet{
		host:    netip.MustParseAddr("10.0.1.2"),
		public:  netip.MustParseAddr("198.51.100.2"),
		mapping: mapping,
		filter:  filter,
		primary: netip.MustParseAddrPort("192.0.2.1:3478"),
		alt:     netip.MustParseAddrPort("192.0.2.2:3479"),
		maps:    map[string]uint16{},
		perms:   map[uint16]map[netip.AddrPort]bool{},
		copies:  map[[12]byte]int{},
	}
}

func (f *fakeNet) ListenUDP(local netip.AddrPort) (Conn, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	port := local.Port()
	if port == 0 {
		port = 40000 + uint16(len(f.conns))*7
	}
	c := &fakeConn{net: f, idx: len(f.conns), local: netip.AddrPortFrom(f.host, port), in: make(chan dgram, 64), closed: make(chan struct{})}
	f.conns = append(f.conns, c)
	return c, nil
}

func (f *fakeNet) LocalAddrs() ([]netip.Addr, error) {
	return []netip.Addr{netip.MustParseAddr("127.0.0.1"), f.host}, nil
}

func (f *fakeNet) SourceFor(netip.AddrPort) (netip.Addr, error) { return f.host, nil }

type dgram struct {
	b    []byte
	from netip.AddrPort
}

type fakeConn struct {
	net    *fakeNet
	idx    int
	local  netip.AddrPort
	in     chan dgram
	once   sync.Once
	closed chan struct{}
}

func (c *fakeConn) LocalAddr() netip.AddrPort { return c.local }

func (c *fakeConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}

func (c *fakeConn) ReadFrom(b []byte) (int, netip.AddrPort, error) {
	select {
	case d := <-c.in:
		return copy(b, d.b), d.from, nil
	case <-c.closed:
		return 0, netip.AddrPort{}, net.ErrClosed
	}
}

func (c *fakeConn) WriteTo(b []byte, to netip.AddrPort) error {
	select {
	case <-c.closed:
		return net.ErrClosed
	default:
	}
	return c.net.send(c, append([]byte(nil), b...), to)
}

// mapped is the public endpoint of c toward dst (RFC 4787 §4.1).
func (f *fakeNet) mappedFor(c *fakeConn, dst netip.AddrPort) netip.AddrPort {
	if f.noNAT {
		return c.local
	}
	key := c.local.String()
	switch f.mapping {
	case "address_dependent":
		key += "|" + dst.Addr().String()
	case "address_and_port_dependent":
		key += "|" + dst.String()
	}
	p, ok := f.maps[key]
	if !ok {
		f.nextPort++
		p = 50000 + f.nextPort*11
		f.maps[key] = p
	}
	return netip.AddrPortFrom(f.public, p)
}

// admits applies the NAT's filtering (RFC 4787 §5) to an inbound datagram.
func (f *fakeNet) admits(port uint16, from netip.AddrPort) bool {
	if f.noNAT && f.filter == "" {
		return true
	}
	perm := f.perms[port]
	switch f.filter {
	case "endpoint_independent", "":
		return perm != nil
	case "address_dependent":
		for ep := range perm {
			if ep.Addr() == from.Addr() {
				return true
			}
		}
		return false
	}
	return perm[from]
}

func (f *fakeNet) send(c *fakeConn, b []byte, dst netip.AddrPort) error {
	m := &stun.Message{Raw: b}
	if err := m.Decode(); err != nil {
		return err
	}
	var ch change
	if v, err := m.Get(stun.AttrChangeRequest); err == nil && len(v) == 4 {
		ch = change(v[3])
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.copies[m.TransactionID]++
	p := pkt{Conn: c.idx, Dst: dst, Change: ch, Copy: f.copies[m.TransactionID]}
	if f.blockAll || (f.drop != nil && f.drop(p)) {
		return nil
	}
	if dst != f.primary && dst != f.alt && dst != netip.AddrPortFrom(f.alt.Addr(), f.primary.Port()) && dst != netip.AddrPortFrom(f.primary.Addr(), f.alt.Port()) {
		return nil // nobody there
	}
	mapped := f.mappedFor(c, dst)
	if f.perms[mapped.Port()] == nil {
		f.perms[mapped.Port()] = map[netip.AddrPort]bool{}
	}
	f.perms[mapped.Port()][dst] = true

	// The server (RFC 5780 §6): answer from the address CHANGE-REQUEST asks.
	src := dst
	resp := []stun.Setter{m, stun.BindingSuccess, &stun.XORMappedAddress{IP: mapped.Addr().AsSlice(), Port: int(mapped.Port())}}
	if ch != changeNone && f.refuseChange {
		resp = []stun.Setter{m, stun.BindingError, stun.CodeUnknownAttribute}
	} else if !f.ignoreChange {
		ip, port := dst.Addr(), dst.Port()
		if ch&changeIP != 0 {
			ip = otherOf(ip, f.primary.Addr(), f.alt.Addr())
		}
		if ch&changePort != 0 {
			port = otherPortOf(port, f.primary.Port(), f.alt.Port())
		}
		src = netip.AddrPortFrom(ip, port)
	}
	if !f.noOther {
		resp = append(resp, &stun.OtherAddress{IP: f.alt.Addr().AsSlice(), Port: int(f.alt.Port())})
	}
	resp = append(resp, &stun.ResponseOrigin{IP: src.Addr().AsSlice(), Port: int(src.Port())})
	out, err := stun.Build(resp...)
	if err != nil {
		return err
	}
	ap := p
	ap.Answer = true
	if f.drop != nil && f.drop(ap) {
		return nil
	}
	if !f.admits(mapped.Port(), src) {
		return nil
	}
	var delay time.Duration
	if f.delay != nil {
		delay = f.delay(ap)
	}
	n := 1
	if f.dup {
		n = 2
	}
	for i := 0; i < n; i++ {
		d := dgram{b: append([]byte(nil), out.Raw...), from: src}
		go func() {
			if delay > 0 {
				time.Sleep(delay)
			}
			select {
			case c.in <- d:
			case <-c.closed:
			}
		}()
	}
	return nil
}

func otherOf(a, x, y netip.Addr) netip.Addr {
	if a == x {
		return y
	}
	return x
}

func otherPortOf(p, x, y uint16) uint16 {
	if p == x {
		return y
	}
	return x
}

// fastClock compresses every timer by div: the probe's timing logic runs
// unchanged, ten times faster. Now stays real so RTTs are real.
type fastClock struct{ div time.Duration }

func (c fastClock) Now() time.Time                         { return time.Now() }
func (c fastClock) After(d time.Duration) <-chan time.Time { return time.After(d / c.div) }

// fakeHops is an injected path prober.
type fakeHops struct {
	hops []Hop
	err  error
}

func (h fakeHops) Open(netip.AddrPort, netip.Addr, int) (HopRun, error) {
	if h.err != nil {
		return nil, h.err
	}
	return func(context.Context, schedule) []Hop { return h.hops }, nil
}

var errNoPath = errors.New("no path")
