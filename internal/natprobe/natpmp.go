package natprobe

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The router's external address, asked with NAT-PMP (RFC 6886). Only the
// read-only "external address request" (opcode 0, §3.2) is ever sent: it
// creates no mapping on the router. Port mapping requests (opcodes 1 and 2,
// §3.3) and PCP MAP (RFC 6887) are never used.

const (
	// natpmpPort is where the gateway listens (RFC 6886 §3.1).
	natpmpPort = 5351
	// natpmpVersion is the protocol version of every NAT-PMP packet (§3.2).
	natpmpVersion = 0
	// opExternalAddress is the request opcode; a response carries the
	// request's opcode plus 128 (§3.2).
	opExternalAddress = 0
	opResponse        = 128
	// natpmpResponseLen is the length of the external address response
	// (§3.2): version, opcode, result code (16 bits), seconds since start
	// of epoch (32 bits), external IPv4 address (32 bits).
	natpmpResponseLen = 12
)

// natpmpRequest is the whole external address request (§3.2): version 0,
// opcode 0.
var natpmpRequest = []byte{natpmpVersion, opExternalAddress}

// natpmpSchedule is the retransmission schedule of the request. RFC 6886
// §3.1 starts at 250 ms and doubles for nine tries (64 s in all), a pace
// meant for a daemon, not a one-second probe. The gateway is on the LAN, one
// link away, so the same doubling starts at 20 ms here: copies at 0, 20, 60,
// 140 and 300 ms, then a final wait to 400 ms — natpmpBudget, the same as
// the path probe's — so the request never outlasts the STUN tests it runs
// beside. Five copies make a lost answer need five consecutive losses.
var natpmpSchedule = schedule{RTO: 20 * time.Millisecond, Rc: 5, Rm: 5}

// natpmpBudget caps the NAT-PMP request, as hopBudget caps the path probe.
const natpmpBudget = 400 * time.Millisecond

// PMPNetwork finds the default IPv4 gateway and opens the socket the NAT-PMP
// request goes out on. Injected so the evidence is unit-tested without
// sockets. Probe calls both methods on its own goroutine, so a caller
// inside a network namespace (the lab) keeps the socket there.
type PMPNetwork interface {
	// DefaultGateway is the next hop of the IPv4 default route.
	DefaultGateway() (netip.Addr, error)
	// DialUDP opens a UDP socket from an ephemeral port of local (any
	// address when invalid) that only exchanges datagrams with remote.
	DialUDP(local netip.Addr, remote netip.AddrPort) (Conn, error)
}

// NoNATPMP disables the NAT-PMP request (for tests, and for networks where
// it is not wanted).
var NoNATPMP PMPNetwork = noNATPMP{}

type noNATPMP struct{}

func (noNATPMP) DefaultGateway() (netip.Addr, error) { return netip.Addr{}, errDisabled }
func (noNATPMP) DialUDP(netip.Addr, netip.AddrPort) (Conn, error) {
	return nil, errDisabled
}

// PMPResult is the outcome of the external address request.
type PMPResult struct {
	Gateway netip.Addr // where the request went (invalid: no default gateway)
	Sent    bool       // at least one copy was sent
	// Answered: a well-formed response (version 0, opcode 128, at least 12
	// bytes) came from Gateway:5351 (§3.1, §3.2).
	Answered bool
	Result   uint16     // its result code (§3.5); 0 is success
	External netip.Addr // the external address, when Result is 0
	// Refused: the gateway sent ICMP port unreachable, nothing listens on
	// 5351 there, so there is no point retransmitting.
	Refused bool
	Err     string // why the request could not be made, if it could not
}

// resultText names the result codes of RFC 6886 §3.5.
func resultText(code uint16) string {
	switch code {
	case 0:
		return "Success"
	case 1:
		return "Unsupported Version"
	case 2:
		return "Not Authorized/Refused"
	case 3:
		return "Network Failure"
	case 4:
		return "Out of resources"
	case 5:
		return "Unsupported opcode"
	}
	return "unknown result code"
}

// parsePMPResponse checks one datagram against RFC 6886: it must come from
// the gateway the request was sent to, from port 5351 (§3.1: anything else
// is silently discarded), be at least 12 bytes long, carry version 0 and
// opcode 128 (§3.2). ok is false for anything else; the caller keeps waiting,
// as for any stray datagram.
func parsePMPResponse(b []byte, from netip.AddrPort, gw netip.Addr) (code uint16, ext netip.Addr, ok bool) {
	if from.Addr().Unmap() != gw || from.Port() != natpmpPort {
		return 0, netip.Addr{}, false
	}
	if len(b) < natpmpResponseLen || b[0] != natpmpVersion || b[1] != opResponse+opExternalAddress {
		return 0, netip.Addr{}, false
	}
	code = binary.BigEndian.Uint16(b[2:4])
	if code == 0 {
		ext = netip.AddrFrom4([4]byte(b[8:12]))
	}
	// With a non-zero result the address field is undefined and ignored
	// (§3.5).
	return code, ext, true
}

type pmpIn struct {
	code    uint16
	ext     netip.Addr
	refused bool
}

// queryExternalAddress sends the external address request to gw:5351 over
// c on schedule s and returns the first well-formed answer (§3.2); later and
// duplicated answers are ignored. It closes c.
func queryExternalAddress(ctx context.Context, c Conn, gw netip.Addr, clk Clock, s schedule) PMPResult {
	r := PMPResult{Gateway: gw}
	dst := netip.AddrPortFrom(gw, natpmpPort)
	in := make(chan pmpIn, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 64)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				if errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF) {
					return
				}
				if errors.Is(err, syscall.ECONNREFUSED) {
					select {
					case in <- pmpIn{refused: true}:
					default:
					}
					return
				}
				continue
			}
			code, ext, ok := parsePMPResponse(buf[:n], from, gw)
			if !ok {
				continue
			}
			select {
			case in <- pmpIn{code: code, ext: ext}:
			default: // a duplicate: the first answer is already there
			}
		}
	}()
	defer func() {
		_ = c.Close()
		<-done
	}()
	for _, wait := range s.waits() {
		if err := c.WriteTo(natpmpRequest, dst); err == nil {
			r.Sent = true
		}
		select {
		case got := <-in:
			if got.refused {
				r.Refused = true
				return r
			}
			r.Answered, r.Result, r.External = true, got.code, got.ext
			return r
		case <-clk.After(wait):
		case <-ctx.Done():
			return r
		}
	}
	return r
}

// runNATPMP finds the gateway and opens the socket on the calling goroutine,
// then returns the query to run on any goroutine.
func runNATPMP(pn PMPNetwork, local netip.Addr, clk Clock) (func(context.Context) PMPResult, error) {
	gw, err := pn.DefaultGateway()
	if err != nil {
		return nil, err
	}
	if !gw.Is4() {
		return nil, fmt.Errorf("default gateway %s is not IPv4", gw)
	}
	c, err := pn.DialUDP(local, netip.AddrPortFrom(gw, natpmpPort))
	if err != nil {
		return nil, fmt.Errorf("NAT-PMP socket: %w", err)
	}
	return func(ctx context.Context) PMPResult {
		ctx, cancel := context.WithTimeout(ctx, natpmpBudget)
		defer cancel()
		return queryExternalAddress(ctx, c, gw, clk, natpmpSchedule)
	}, nil
}

// pmpEvidence reads the router's external address as operator-NAT evidence:
//   - in 100.64.0.0/10 (RFC 6598) or RFC 1918 space: the router's WAN side is
//     not on the internet, so a second NAT (the operator's) translates again;
//   - public but not the address the server saw: another NAT translated it;
//   - the address the server saw: consistent with no second NAT, but not
//     proof, so it decides nothing: a router that learns its "external"
//     address by asking a STUN server itself (miniupnpd's ext_perform_stun)
//     reports the operator's address even behind an operator NAT.
//
// No answer, or an answer with an error result, is said as such and never
// decides anything.
func pmpEvidence(r PMPResult, mapped netip.AddrPort) (detected bool, line string) {
	if r.Err != "" {
		return false, "NAT-PMP (RFC 6886): not asked: " + r.Err
	}
	if !r.Gateway.IsValid() {
		return false, ""
	}
	gw := r.Gateway
	switch {
	case r.Refused:
		return false, fmt.Sprintf("NAT-PMP (RFC 6886): the gateway %s did not answer (ICMP port unreachable on %d): no NAT-PMP server", gw, natpmpPort)
	case !r.Answered:
		return false, fmt.Sprintf("NAT-PMP (RFC 6886): the gateway %s did not answer the external address request", gw)
	case r.Result != 0:
		return false, fmt.Sprintf("NAT-PMP (RFC 6886): the gateway %s did not give its external address: result code %d (%s, §3.5)", gw, r.Result, resultText(r.Result))
	case !r.External.IsValid() || r.External.IsUnspecified():
		return false, fmt.Sprintf("NAT-PMP (RFC 6886): the gateway %s reports no external address (0.0.0.0)", gw)
	}
	ext := r.External
	switch {
	case nonPublic(ext):
		return true, fmt.Sprintf("NAT-PMP (RFC 6886 §3.2): the router's external address %s is in %s: a second NAT (operator NAT) translates it", ext, rangeName(ext))
	case !mapped.IsValid():
		return false, fmt.Sprintf("NAT-PMP (RFC 6886 §3.2): the router's external address is %s (public); no mapped address to compare it with", ext)
	case mapped.Addr() != ext:
		return true, fmt.Sprintf("NAT-PMP (RFC 6886 §3.2): the router's external address %s is public but the server saw %s: a second NAT translated it", ext, mapped.Addr())
	}
	return false, fmt.Sprintf("NAT-PMP (RFC 6886 §3.2): the router's external address %s is the address the server saw: consistent with no second NAT, not proof of it (a router may learn that address by STUN)", ext)
}

// parseRouteTable finds the IPv4 default gateway in the text of Linux's
// /proc/net/route: the up (RTF_UP) gateway (RTF_GATEWAY) route with
// destination and mask 0 and the lowest metric. Addresses are hexadecimal
// in host byte order (little-endian on every Linux this runs on).
func parseRouteTable(r io.Reader) (netip.Addr, error) {
	const rtfUp, rtfGateway = 0x1, 0x2
	sc := bufio.NewScanner(r)
	best, bestMetric := netip.Addr{}, int64(-1)
	first := true
	for sc.Scan() {
		if first {
			first = false
			continue // header
		}
		f := strings.Fields(sc.Text())
		if len(f) < 8 {
			continue
		}
		dst, err1 := strconv.ParseUint(f[1], 16, 32)
		gw, err2 := strconv.ParseUint(f[2], 16, 32)
		flags, err3 := strconv.ParseUint(f[3], 16, 32)
		metric, err4 := strconv.ParseInt(f[6], 10, 64)
		mask, err5 := strconv.ParseUint(f[7], 16, 32)
		if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
			continue
		}
		if dst != 0 || mask != 0 || flags&rtfUp == 0 || flags&rtfGateway == 0 || gw == 0 {
			continue
		}
		if bestMetric >= 0 && metric >= bestMetric {
			continue
		}
		var a [4]byte
		binary.LittleEndian.PutUint32(a[:], uint32(gw))
		best, bestMetric = netip.AddrFrom4(a), metric
	}
	if err := sc.Err(); err != nil {
		return netip.Addr{}, err
	}
	if !best.IsValid() {
		return netip.Addr{}, errors.New("no IPv4 default gateway")
	}
	return best, nil
}
