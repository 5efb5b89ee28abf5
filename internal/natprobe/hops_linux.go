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

func (recverrProber) Hops(ctx context.Context, server netip.AddrPort, local netip.Addr, maxTTL int, s schedule) ([]Hop, error) {
	var (
		mu   sync.Mutex
		hops []Hop
		wg   sync.WaitGroup
		errs []error
	)
	for ttl := 1; ttl <= maxTTL; ttl++ {
		wg.Add(1)
		go func(ttl int) {
			defer wg.Done()
			h, ok, err := probeTTL(ctx, server, local, ttl, s)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			if ok {
				hops = append(hops, h)
			}
		}(ttl)
	}
	wg.Wait()
	sort.Slice(hops, func(i, j int) bool { return hops[i].TTL < hops[j].TTL })
	if len(hops) == 0 && len(errs) > 0 {
		return nil, errs[0]
	}
	return hops, nil
}

func probeTTL(ctx context.Context, server netip.AddrPort, local netip.Addr, ttl int, s schedule) (Hop, bool, error) {
	laddr := &net.UDPAddr{}
	if local.IsValid() {
		laddr.IP = local.AsSlice()
	}
	c, err := net.ListenUDP("udp4", laddr)
	if err != nil {
		return Hop{}, false, err
	}
	defer c.Close()
	raw, err := c.SyscallConn()
	if err != nil {
		return Hop{}, false, err
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		if serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_TTL, ttl); serr != nil {
			return
		}
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_RECVERR, 1)
	}); err != nil {
		return Hop{}, false, err
	}
	if serr != nil {
		return Hop{}, false, serr
	}
	// A Binding request: if this TTL reaches the server, its answer marks
	// the destination.
	req, err := newRequest(changeNone)
	if err != nil {
		return Hop{}, false, err
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
				return h, true, nil
			}
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					break
				}
				return Hop{}, false, nil
			}
		}
		if ctx.Err() != nil {
			return Hop{}, false, nil
		}
	}
	return Hop{}, false, nil
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
