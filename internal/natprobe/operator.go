package natprobe

import (
	"context"
	"fmt"
	"net/netip"
	"time"
)

// Hop is one TTL-limited probe toward the server: who answered at that TTL.
type Hop struct {
	TTL         int
	Addr        netip.Addr // router that sent ICMP time exceeded, or the server
	Destination bool       // the server itself answered (STUN response)
}

// HopProber sends TTL-limited probes toward server and reports the routers
// on the path, as seen from inside the LAN. Injected so operator-NAT
// evidence is unit-tested without sockets.
//
// Open creates every socket on the calling goroutine (so a caller inside a
// network namespace keeps them there); the returned HopRun does the probing
// and may run on any goroutine.
type HopProber interface {
	Open(server netip.AddrPort, local netip.Addr, maxTTL int) (HopRun, error)
}

// HopRun probes until every TTL is answered, its schedule ends or ctx ends.
type HopRun func(ctx context.Context, s schedule) []Hop

// Operator-NAT results (a tri-state: "not detected" is distinct from "could
// not look", as in Tailscale's netcheck).
const (
	OperatorNATDetected     = "detected"
	OperatorNATNotDetected  = "not_detected"
	OperatorNATInconclusive = "inconclusive"
)

var (
	// sharedSpace is RFC 6598's shared address space, reserved for operator
	// NAT (carrier-grade NAT): a router there is the operator's.
	sharedSpace = netip.MustParsePrefix("100.64.0.0/10")
	// private is RFC 1918 space.
	private = []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("172.16.0.0/12"),
		netip.MustParsePrefix("192.168.0.0/16"),
	}
)

func isPrivate(a netip.Addr) bool {
	for _, p := range private {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func nonPublic(a netip.Addr) bool { return sharedSpace.Contains(a) || isPrivate(a) }

// OperatorNAT decides whether a second NAT (the operator's) sits between the
// site's router and the server, from four kinds of evidence:
//   - the path: the first hop is the site's own router; a later hop in
//     100.64.0.0/10 (RFC 6598) or a private range before any public hop means
//     the router's WAN side is not on the public internet, so the operator
//     translates again (RFC 6888 CGN);
//   - the declared WAN address: non-public, or different from the mapped
//     address the server saw, means another NAT translated it;
//   - the router's external address, asked with NAT-PMP (RFC 6886 §3.2):
//     non-public, or public but not the mapped address, means a second NAT;
//     the mapped address itself decides nothing (see pmpEvidence). It detects an
//     operator NAT even where ICMP time-exceeded is filtered and the path
//     probe sees nothing;
//   - the mapped address itself in 100.64.0.0/10: the server sits inside the
//     operator's network and cannot see the operator's NAT (a note, no verdict).
//
// Evidence of a second NAT wins over evidence of none. With no NAT at all
// there is no operator NAT to find.
func OperatorNAT(hops []Hop, mapped netip.AddrPort, noNAT bool, declaredWAN netip.Addr, pmp PMPResult) (bool, string, []string) {
	var ev []string
	pmpDetected, pmpLine := pmpEvidence(pmp, mapped)
	if noNAT {
		ev = []string{"no NAT: the host's own address is the mapped address"}
		if pmpLine != "" {
			ev = append(ev, pmpLine)
		}
		return false, OperatorNATNotDetected, ev
	}
	detected, cleared := false, false
	if declaredWAN.IsValid() {
		switch {
		case nonPublic(declaredWAN):
			detected = true
			ev = append(ev, fmt.Sprintf("declared WAN address %s is not public (%s): the operator translates it", declaredWAN, rangeName(declaredWAN)))
		case mapped.IsValid() && mapped.Addr() != declaredWAN:
			detected = true
			ev = append(ev, fmt.Sprintf("the server saw %s, not the declared WAN address %s: another NAT translated it", mapped.Addr(), declaredWAN))
		case mapped.IsValid():
			cleared = true
			ev = append(ev, fmt.Sprintf("the server saw the declared WAN address %s: the router's own NAT is the last one", declaredWAN))
		}
	}
	if pmpLine != "" {
		ev = append(ev, pmpLine)
		detected = detected || pmpDetected
	}
	if mapped.IsValid() && sharedSpace.Contains(mapped.Addr()) {
		ev = append(ev, fmt.Sprintf("the mapped address %s is in 100.64.0.0/10: the server is inside the operator's network and sees the address before the operator's NAT", mapped.Addr()))
	}

	// Path evidence: hops after the first, up to the first public one.
	byTTL := map[int]Hop{}
	maxTTL := 0
	dest := 0
	for _, h := range hops {
		byTTL[h.TTL] = h
		if h.TTL > maxTTL {
			maxTTL = h.TTL
		}
		if h.Destination && (dest == 0 || h.TTL < dest) {
			dest = h.TTL
		}
	}
	pathKnown := false
	if len(hops) > 0 {
		if h1, ok := byTTL[1]; ok {
			ev = append(ev, fmt.Sprintf("hop 1 (the site's router): %s", h1.Addr))
		}
		for ttl := 2; ttl <= maxTTL && (dest == 0 || ttl < dest); ttl++ {
			h, ok := byTTL[ttl]
			if !ok {
				ev = append(ev, fmt.Sprintf("hop %d: no answer", ttl))
				continue
			}
			if nonPublic(h.Addr) {
				detected = true
				ev = append(ev, fmt.Sprintf("hop %d: %s is %s beyond the site's router: a second NAT (operator NAT) on the path", ttl, h.Addr, rangeName(h.Addr)))
				break
			}
			pathKnown = true
			ev = append(ev, fmt.Sprintf("hop %d: %s is public: the site's router faces the internet directly", ttl, h.Addr))
			break
		}
		if dest == 2 {
			pathKnown = true
			ev = append(ev, "the server is the hop right after the site's router")
		}
	}
	switch {
	case detected:
		return true, OperatorNATDetected, ev
	case pathKnown || cleared:
		return false, OperatorNATNotDetected, ev
	}
	ev = append(ev, "not enough evidence: no ICMP time-exceeded answer beyond the site's router, no declared WAN address and no external address from NAT-PMP")
	return false, OperatorNATInconclusive, ev
}

func rangeName(a netip.Addr) string {
	if sharedSpace.Contains(a) {
		return "RFC 6598 shared address space (100.64.0.0/10)"
	}
	if isPrivate(a) {
		return "RFC 1918 private space"
	}
	return "public"
}

// hopBudget caps the path probe. Routers answer a TTL-expired packet within
// one RTT; the budget leaves room for the retransmissions of the scaled
// schedule (ICMP is rate-limited by routers, RFC 1812 §4.3.2.8) while staying
// inside the ~1 s the whole probe is allowed.
const hopBudget = 400 * time.Millisecond

// maxHops is how far the path probe looks: the operator's NAT is the second
// or third hop of an access network, never much further.
const maxHops = 6
