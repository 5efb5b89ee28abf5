// Package natprobe measures a NAT's behaviour from inside the LAN, with a
// STUN server that supports RFC 5780 (NAT behaviour discovery): mapping
// (§4.3), filtering (§4.4), no NAT, UDP blocked and operator NAT. The result
// is a measurement.Measurement (SPEC §4).
//
// How it beats the classic clients: the tests that do not depend on each
// other run at the same time (mapping and filtering on two bindings), every
// request is retransmitted on the RFC 5389 §7.2.1 schedule scaled to the
// measured round-trip time instead of waiting one long fixed timeout, and a
// test that could not decide is reported as inconclusive instead of being
// read as a verdict.
package natprobe

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/p2pplan/p2pplan/internal/measurement"
)

const (
	// DefaultTimeout is how long test I waits for the server's first answer
	// before UDP is declared blocked. Interactive STUN round trips are well
	// under 300 ms even on mobile networks; 800 ms also covers a
	// geostationary satellite hop (~600 ms) while keeping the whole probe
	// under one second. Raise it with --timeout on slower links.
	DefaultTimeout = 800 * time.Millisecond

	// rc and rm are RFC 5389 §7.2.1's Rc (transmissions) and Rm (final wait
	// in RTOs), kept at the RFC's values: seven copies make a wrong verdict
	// from loss need seven consecutive losses.
	rc = 7
	rm = 16

	// minRTO floors the RTO scaled from the measured RTT. In a LAN lab the
	// RTT is ~0.1 ms; below a few milliseconds Go timers and a busy
	// scheduler on a shared machine would fire retransmissions (and end
	// negative tests) before a slow but real answer could arrive. 6 ms makes
	// an unanswered test last 79*6 = 474 ms.
	minRTO = 6 * time.Millisecond

	// maxRTO caps the scaled RTO at RFC 5389's own initial RTO (500 ms):
	// never wait longer per try than the RFC's default.
	maxRTO = 500 * time.Millisecond

	// rttFactor scales the measured RTT into an RTO, as TCP does with its
	// variance term (RFC 6298 §2): the alternate address may be on a
	// slightly longer path than the primary.
	rttFactor = 4
)

// Options configures a probe. Server is required: there is no default
// public STUN server.
type Options struct {
	Server      netip.AddrPort // the STUN server's primary address
	ServerName  string         // as the user wrote it, for the report; Server.String() when empty
	Local       netip.AddrPort // local address (port 0: any) for the mapping binding
	Timeout     time.Duration  // first-answer timeout; DefaultTimeout when zero
	DeclaredWAN netip.Addr     // the site's declared public IPv4, if any

	Network Network   // SystemNetwork() when nil
	Clock   Clock     // the real clock when nil
	Hops    HopProber // SystemHopProber() when nil; NoHops disables
	// NATPMP asks the default gateway for its external address (RFC 6886
	// §3.2, read-only): SystemPMPNetwork() when nil; NoNATPMP disables.
	NATPMP PMPNetwork
}

// NoHops disables the path probe (for tests and for networks where TTL
// probes are not wanted).
var NoHops HopProber = noHops{}

type noHops struct{}

func (noHops) Open(netip.AddrPort, netip.Addr, int) (HopRun, error) {
	return nil, errDisabled
}

var errDisabled = errors.New("path probe disabled")

// initialSchedule spreads the Rc transmissions of test I over the first-
// answer timeout: 79 RTOs in all (RFC 5389 §7.2.1 with Rc=7, Rm=16).
func initialSchedule(timeout time.Duration) schedule {
	rto := timeout / 79
	if rto < time.Millisecond {
		rto = time.Millisecond
	}
	return schedule{RTO: rto, Rc: rc, Rm: rm}
}

// scaledSchedule derives the RTO from the measured RTT, then fits an
// unanswered test (79 RTOs) into budget — the same time the user gave the
// first answer — as long as the final wait (Rm RTOs) still covers four round
// trips. Without that cap a 30 ms Internet path (RTO 120 ms) would make each
// negative filtering test last 9.5 s, slower than the sequential clients the
// probe replaces; with it, a 30 ms path stays within 800 ms and only paths
// slower than about 130 ms go beyond, by what their round trips need.
// Retransmitting faster than the RTT is harmless here: every copy carries the
// same transaction ID and any answer counts.
func scaledSchedule(rtt, budget time.Duration) schedule {
	rto := min(max(rttFactor*rtt, minRTO), maxRTO)
	if fit := budget / 79; rto > fit {
		rto = max(fit, minRTO, 4*rtt/rm)
	}
	return schedule{RTO: rto, Rc: rc, Rm: rm}
}

// Probe runs the measurement. It returns an error only when the environment
// fails (no socket can be opened); an unanswered server is a measurement
// (udp_blocked), not an error.
func Probe(ctx context.Context, o Options) (*measurement.Measurement, error) {
	if !o.Server.IsValid() {
		return nil, errors.New("natprobe: no server address")
	}
	if o.Network == nil {
		o.Network = SystemNetwork()
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	if o.Hops == nil {
		o.Hops = SystemHopProber()
	}
	if o.NATPMP == nil {
		o.NATPMP = SystemPMPNetwork()
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	start := o.Clock.Now()

	mconn, err := o.Network.ListenUDP(o.Local)
	if err != nil {
		return nil, fmt.Errorf("open the mapping socket: %w", err)
	}
	fconn, err := o.Network.ListenUDP(netip.AddrPortFrom(o.Local.Addr(), 0))
	if err != nil {
		_ = mconn.Close()
		return nil, fmt.Errorf("open the filtering socket: %w", err)
	}
	mc, fc := newClient(mconn, o.Clock), newClient(fconn, o.Clock)
	defer mc.close()
	defer fc.close()
	hostAddrs, _ := o.Network.LocalAddrs()

	// The path probe runs beside the STUN tests.
	var hops []Hop
	hopsDone := make(chan struct{})
	hopRun, hopsErr := o.Hops.Open(o.Server, o.Local.Addr(), maxHops)
	if hopsErr != nil {
		close(hopsDone)
	} else {
		go func() {
			defer close(hopsDone)
			hctx, cancel := context.WithTimeout(ctx, hopBudget)
			defer cancel()
			hops = hopRun(hctx, scaledSchedule(0, o.Timeout))
		}()
	}

	// So does the NAT-PMP external address request to the default gateway
	// (RFC 6886 §3.2); its socket is opened here, on this goroutine, for
	// the same reason as the path probe's.
	var pmp PMPResult
	pmpDone := make(chan struct{})
	pmpRun, pmpErr := runNATPMP(o.NATPMP, o.Local.Addr(), o.Clock)
	if pmpErr != nil {
		close(pmpDone)
		if !errors.Is(pmpErr, errDisabled) {
			pmp.Err = pmpErr.Error()
		}
	} else {
		go func() {
			defer close(pmpDone)
			pmp = pmpRun(ctx)
		}()
	}

	var (
		ev  = Evidence{Server: o.Server, MapLocal: mconn.LocalAddr(), FiltLocal: fconn.LocalAddr(), HostAddrs: hostAddrs}
		rtt time.Duration
		wg  sync.WaitGroup
		mu  sync.Mutex
	)
	outcome := func(r result) Outcome {
		return Outcome{Ran: r.Answered || ctx.Err() == nil, Answered: r.Answered, Answer: r.Answer}
	}

	// Phase 1: test I on both bindings at once. The first answer gives the
	// RTT and OTHER-ADDRESS, and starts phase 2 without waiting for the other.
	init := initialSchedule(o.Timeout)
	first := make(chan result, 2)
	var ri sync.WaitGroup
	ri.Add(2)
	go func() {
		defer ri.Done()
		r := mc.do(ctx, o.Server, changeNone, init)
		mu.Lock()
		ev.MapI = outcome(r)
		mu.Unlock()
		first <- r
	}()
	go func() {
		defer ri.Done()
		r := fc.do(ctx, o.Server, changeNone, init)
		mu.Lock()
		ev.FiltI = outcome(r)
		mu.Unlock()
		first <- r
	}()

	var got result
	for i := 0; i < 2; i++ {
		r := <-first
		if r.Answered && r.Answer.Error == "" {
			got = r
			break
		}
	}
	if got.Answered {
		// After a retransmission the RTT is a lower bound (Karn, RFC 6298
		// §3). Using the upper bound instead (time since the first copy)
		// would stretch every later negative test by the initial RTOs
		// spent; the lower bound is safe because an unanswered test's
		// final wait alone covers at least four round trips.
		rtt = got.RTT
		s := scaledSchedule(rtt, o.Timeout)
		other := got.Answer.Other
		// Phase 2, all at once: filtering II and III on the filtering
		// binding (sent to the primary address, so the NAT's filter only
		// knows the primary), mapping II and III on the mapping binding.
		run := func(c *client, dst netip.AddrPort, ch change, into *Outcome) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := c.do(ctx, dst, ch, s)
				mu.Lock()
				*into = outcome(r)
				mu.Unlock()
			}()
		}
		run(fc, o.Server, changeBoth, &ev.FiltII)
		run(fc, o.Server, changePort, &ev.FiltIII)
		if other.IsValid() && other.Addr() != o.Server.Addr() {
			run(mc, netip.AddrPortFrom(other.Addr(), o.Server.Port()), changeNone, &ev.MapII)
			run(mc, other, changeNone, &ev.MapIII)
		}
	}
	ri.Wait()
	wg.Wait()
	<-hopsDone
	<-pmpDone

	v := Classify(ev)
	local := ev.MapLocal
	if local.Addr().IsUnspecified() || !local.Addr().IsValid() {
		if src, err := o.Network.SourceFor(o.Server); err == nil {
			local = netip.AddrPortFrom(src, local.Port())
		}
	}
	m := &measurement.Measurement{
		Server:     o.ServerName,
		Local:      local.String(),
		Mapping:    v.Mapping,
		Filtering:  v.Filtering,
		NAT:        v.NAT,
		NoNAT:      v.NoNAT,
		UDPBlocked: v.UDPBlocked,
		Notes:      v.Notes,
	}
	if m.Server == "" {
		m.Server = o.Server.String()
	}
	if ev.MapI.Answered && ev.MapI.Answer.Mapped.IsValid() {
		m.Mapped = ev.MapI.Answer.Mapped.String()
	} else if ev.FiltI.Answered && ev.FiltI.Answer.Mapped.IsValid() {
		m.Mapped = ev.FiltI.Answer.Mapped.String()
	}
	if v.UDPBlocked {
		m.OperatorNAT = false
		m.OperatorNATResult = OperatorNATInconclusive
		m.OperatorNATEvidence = []string{"UDP is blocked: the path could not be examined"}
		// The gateway is on the LAN: NAT-PMP may still answer, and a
		// non-public external address is a second NAT whatever the server.
		if detected, line := pmpEvidence(pmp, netip.AddrPort{}); line != "" {
			m.OperatorNATEvidence = append(m.OperatorNATEvidence, line)
			if detected {
				m.OperatorNAT, m.OperatorNATResult = true, OperatorNATDetected
			}
		}
	} else {
		mapped := ev.MapI.Answer.Mapped
		if !mapped.IsValid() {
			mapped = ev.FiltI.Answer.Mapped
		}
		m.OperatorNAT, m.OperatorNATResult, m.OperatorNATEvidence = OperatorNAT(hops, mapped, v.NoNAT, o.DeclaredWAN, pmp)
		if hopsErr != nil && !errors.Is(hopsErr, errDisabled) {
			m.OperatorNATEvidence = append(m.OperatorNATEvidence, "path probe failed: "+hopsErr.Error())
		}
	}
	m.ServerRFC5780 = v.ServerRFC5780
	m.RTTMs = ms(rtt)
	m.DurationMs = ms(o.Clock.Now().Sub(start))
	m.Tests = rawTests(ev, o.Server)
	if t, ok := pmpTest(pmp); ok {
		m.Tests = append(m.Tests, t)
	}
	return m, nil
}

func ms(d time.Duration) float64 {
	return float64(d.Round(10*time.Microsecond)) / float64(time.Millisecond)
}

// rawTests lists the tests in RFC 5780 order (§4.3 then §4.4).
func rawTests(ev Evidence, server netip.AddrPort) []measurement.Test {
	other := ev.other()
	altIP := netip.AddrPort{}
	if other.IsValid() {
		altIP = netip.AddrPortFrom(other.Addr(), server.Port())
	}
	rows := []struct {
		name string
		dst  netip.AddrPort
		ch   change
		o    Outcome
	}{
		{"mapping-I", server, changeNone, ev.MapI},
		{"mapping-II", altIP, changeNone, ev.MapII},
		{"mapping-III", other, changeNone, ev.MapIII},
		{"filtering-I", server, changeNone, ev.FiltI},
		{"filtering-II", server, changeBoth, ev.FiltII},
		{"filtering-III", server, changePort, ev.FiltIII},
	}
	var out []measurement.Test
	for _, r := range rows {
		if r.name != "mapping-I" && r.name != "filtering-I" && !r.o.Ran && !r.o.Answered {
			continue
		}
		if !r.dst.IsValid() {
			continue
		}
		req := r.dst.String()
		if s := r.ch.String(); s != "" {
			req += " " + s
		}
		t := measurement.Test{Name: r.name, Request: req, Answered: r.o.Answered}
		if r.o.Answered {
			t.From = r.o.Answer.From.String()
			if r.o.Answer.Mapped.IsValid() {
				t.Mapped = r.o.Answer.Mapped.String()
			}
			if r.o.Answer.Error != "" {
				t.Error = r.o.Answer.Error
			}
		}
		out = append(out, t)
	}
	return out
}

// pmpTest is the NAT-PMP request as a raw test: mapped is the external
// address the gateway gave (RFC 6886 §3.2). There is none when no request
// was made.
func pmpTest(r PMPResult) (measurement.Test, bool) {
	if !r.Gateway.IsValid() {
		return measurement.Test{}, false
	}
	gw := netip.AddrPortFrom(r.Gateway, natpmpPort)
	t := measurement.Test{Name: "natpmp-external-address", Request: gw.String() + " NAT-PMP opcode 0", Answered: r.Answered}
	if r.Answered {
		t.From = gw.String()
		if r.Result != 0 {
			t.Error = fmt.Sprintf("%d %s", r.Result, resultText(r.Result))
		} else if r.External.IsValid() {
			t.Mapped = r.External.String()
		}
	}
	return t, true
}
