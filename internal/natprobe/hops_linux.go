//go:build linux

package natprobe

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/pion/stun/v2"
	"golang.org/x/sys/unix"
)

// SystemHopProber probes the path with TTL-limited UDP datagrams and reads
// the ICMP time-exceeded answers through IP_RECVERR (ip(7)), which needs no
// raw socket and no privilege. Each TTL has its own socket, so an ICMP error
// is attributed to its TTL without relying on how much of the datagram the
// router quoted.
func SystemHopProber() HopProber { return recverrProber{} }

type recverrProber struct{}

func (recverrProber) Open(server netip.AddrPort, local netip.Addr, maxTTL int) (HopRun, error) {
	// Every socket is opened here, on the caller's goroutine: a caller that
	// runs inside a network namespace (the lab, "ip netns exec") keeps them
	// there; the goroutines below only use them.
	var conns []*net.UDPConn
	closeAll := func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}
	for ttl := 1; ttl <= maxTTL; ttl++ {
		c, err := openTTL(local, ttl)
		if err != nil {
			closeAll()
			return nil, err
		}
		conns = append(conns, c)
	}
	return func(ctx context.Context, s schedule) []Hop {
		defer closeAll()
		var (
			mu   sync.Mutex
			hops []Hop
			wg   sync.WaitGroup
		)
		for i, c := range conns {
			wg.Add(1)
			go func(ttl int, c *net.UDPConn) {
				defer wg.Done()
				if h, ok := probeTTL(ctx, c, server, ttl, s); ok {
					mu.Lock()
					hops = append(hops, h)
					mu.Unlock()
				}
			}(i+1, c)
		}
		wg.Wait()
		sort.Slice(hops, func(i, j int) bool { return hops[i].TTL < hops[j].TTL })
		return hops
	}, nil
}

// openTTL opens a UDP socket whose datagrams leave with the given TTL and
// whose ICMP errors are queued for reading (IP_RECVERR).
func openTTL(local netip.Addr, ttl int) (*net.UDPConn, error) {
	laddr := &net.UDPAddr{}
	if local.IsValid() {
		laddr.IP = local.AsSlice()
	}
	c, err := net.ListenUDP("udp4", laddr)
	if err != nil {
		return nil, err
	}
	raw, err := c.SyscallConn()
	if err != nil {
		c.Close()
		return nil, err
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		if serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_TTL, ttl); serr != nil {
			return
		}
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_RECVERR, 1)
	}); err != nil {
		serr = err
	}
	if serr != nil {
		c.Close()
		return nil, serr
	}
	return c, nil
}

func probeTTL(ctx context.Context, c *net.UDPConn, server netip.AddrPort, ttl int, s schedule) (Hop, bool) {
	raw, err := c.SyscallConn()
	if err != nil {
		return Hop{}, false
	}
	// A Binding request: if this TTL reaches the server, its answer marks
	// the destination.
	req, err := newRequest(changeNone)
	if err != nil {
		return Hop{}, false
	}
	dst := net.UDPAddrFromAddrPort(server)
	buf := make([]byte, 1500)
	oob := make([]byte, 512)
	for _, wait := range s.waits() {
		_, _ = c.WriteToUDP(req.Raw, dst)
		deadline := time.Now().Add(wait)
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		_ = c.SetReadDeadline(deadline)
		for {
			h, got, err := readHop(raw, buf, oob, req.TransactionID, ttl)
			if got {
				return h, true
			}
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					break
				}
				return Hop{}, false
			}
		}
		if ctx.Err() != nil {
			return Hop{}, false
		}
	}
	return Hop{}, false
}

// readHop waits for one event on the socket: an ICMP error from the error
// queue (ee_origin ICMP, type 11 time exceeded) or a STUN answer.
func readHop(raw syscall.RawConn, buf, oob []byte, tid [stun.TransactionIDSize]byte, ttl int) (Hop, bool, error) {
	var (
		hop  Hop
		got  bool
		rerr error
	)
	err := raw.Read(func(fd uintptr) bool {
		n, oobn, _, _, err := unix.Recvmsg(int(fd), buf, oob, unix.MSG_ERRQUEUE|unix.MSG_DONTWAIT)
		if err == nil {
			if a, ok := parseTimeExceeded(oob[:oobn]); ok {
				hop, got = Hop{TTL: ttl, Addr: a}, true
			}
			_ = n
			return true
		}
		n, _, _, from, err := unix.Recvmsg(int(fd), buf, nil, unix.MSG_DONTWAIT)
		if err == unix.EAGAIN || err == unix.EWOULDBLOCK {
			return false
		}
		if err != nil {
			// The pending socket error of an ICMP message: already queued.
			return true
		}
		m := &stun.Message{Raw: append([]byte(nil), buf[:n]...)}
		if m.Decode() == nil && m.TransactionID == tid {
			if sa, ok := from.(*unix.SockaddrInet4); ok {
				hop, got = Hop{TTL: ttl, Addr: netip.AddrFrom4(sa.Addr), Destination: true}, true
			}
		}
		return true
	})
	if err != nil {
		rerr = err
	}
	return hop, got, rerr
}

// parseTimeExceeded reads a struct sock_extended_err (linux/errqueue.h) and
// the offender address that follows it (SO_EE_OFFENDER).
func parseTimeExceeded(oob []byte) (netip.Addr, bool) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return netip.Addr{}, false
	}
	for _, m := range msgs {
		if m.Header.Level != unix.SOL_IP || m.Header.Type != unix.IP_RECVERR || len(m.Data) < 16+8 {
			continue
		}
		origin, typ := m.Data[4], m.Data[5]
		if origin != unix.SO_EE_ORIGIN_ICMP || typ != 11 { // ICMP type 11: time exceeded (RFC 792)
			continue
		}
		off := m.Data[16:]
		if binary.NativeEndian.Uint16(off[0:2]) != unix.AF_INET {
			continue
		}
		return netip.AddrFrom4([4]byte(off[4:8])), true
	}
	return netip.Addr{}, false
}
