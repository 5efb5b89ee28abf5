package natprobe

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/p2pplan/p2pplan/internal/measurement"
)

// Outcome is one test as the classification sees it: whether it ran its
// whole retransmission schedule (or was answered), whether a valid answer
// arrived, and the answer.
type Outcome struct {
	Ran      bool
	Answered bool
	Answer   answer
}

// Evidence is everything the probe observed, the input of Classify. The
// mapping tests (RFC 5780 §4.3) use one local port, the filtering tests
// (§4.4) another: a mapping test sends to the alternate address, which would
// open the very filter the filtering tests measure (RFC 5780 §4.5 warns
// about test order; separate bindings make the tests independent, so they
// can run at the same time).
type Evidence struct {
	Server netip.AddrPort // primary address the tests were sent to

	MapLocal  netip.AddrPort // local address of the mapping socket
	FiltLocal netip.AddrPort // local address of the filtering socket
	HostAddrs []netip.Addr   // the host's own addresses (for "no NAT")

	MapI, MapII, MapIII    Outcome
	FiltI, FiltII, FiltIII Outcome
}

// Verdict is the result of Classify.
type Verdict struct {
	Mapping, Filtering, NAT string
	NoNAT, UDPBlocked       bool
	// ServerRFC5780 is false when the server's answers carry no usable
	// OTHER-ADDRESS: then only UDP reachability, the mapped address and
	// no-NAT can be proven.
	ServerRFC5780 bool
	Notes         []string
}

// other returns the server's alternate address from any answer to a test I.
func (e *Evidence) other() netip.AddrPort {
	for _, o := range []Outcome{e.MapI, e.FiltI} {
		if o.Answered && o.Answer.Other.IsValid() {
			return o.Answer.Other
		}
	}
	return netip.AddrPort{}
}

// answeredFrom reports whether o got a success answer whose source is src.
// A response that claims to honour CHANGE-REQUEST but comes from the wrong
// address proves nothing about filtering (RFC 5780 §4.4 relies on the source).
func answeredFrom(o Outcome, src netip.AddrPort) bool {
	return o.Answered && o.Answer.Error == "" && o.Answer.From == src
}

func isOwn(addrs []netip.Addr, local, mapped netip.AddrPort) bool {
	if !mapped.IsValid() || mapped.Port() != local.Port() {
		return false
	}
	if local.Addr().IsValid() && !local.Addr().IsUnspecified() {
		return mapped.Addr() == local.Addr()
	}
	return slices.Contains(addrs, mapped.Addr())
}

// Classify turns test outcomes into a verdict. It is a pure function: every
// branch of RFC 5780 §4.3 and §4.4 is unit-tested without sockets. A test
// that was not answered counts as evidence only where the RFC makes silence
// meaningful (filtering tests II and III) and only when test I on the same
// binding proved the path works; otherwise the verdict is inconclusive.
func Classify(e Evidence) Verdict {
	v := Verdict{Mapping: measurement.Inconclusive, Filtering: measurement.Inconclusive, NAT: measurement.Inconclusive}
	mapI, filtI := e.MapI, e.FiltI
	okI := func(o Outcome) bool { return o.Answered && o.Answer.Error == "" && o.Answer.Mapped.IsValid() }

	// UDP blocked: not a single answer, to any test, on either binding.
	heard := false
	for _, o := range []Outcome{e.MapI, e.MapII, e.MapIII, e.FiltI, e.FiltII, e.FiltIII} {
		heard = heard || o.Answered
	}
	if !heard {
		v.UDPBlocked = true
		v.NAT = measurement.UDPBlocked
		v.Notes = append(v.Notes, "no STUN answer at all: outbound UDP to the server is blocked (or the server is down)")
		return v
	}

	// No NAT (RFC 5780 §4.3, test I): the mapped address is the local one.
	noNATMap := okI(mapI) && isOwn(e.HostAddrs, e.MapLocal, mapI.Answer.Mapped)
	noNATFilt := okI(filtI) && isOwn(e.HostAddrs, e.FiltLocal, filtI.Answer.Mapped)
	natSeen := (okI(mapI) && !noNATMap) || (okI(filtI) && !noNATFilt)
	switch {
	case (noNATMap || noNATFilt) && !natSeen:
		v.NoNAT = true
	case noNATMap || noNATFilt:
		v.Notes = append(v.Notes, "one binding was not translated and the other was: contradictory, mapping left inconclusive")
	case !okI(mapI) && !okI(filtI):
		v.Notes = append(v.Notes, "the server answered, but never with a mapped address to test I")
	}

	other := e.other()
	v.ServerRFC5780 = other.IsValid() && other.Addr() != e.Server.Addr() && other.Port() != e.Server.Port()
	if !v.ServerRFC5780 {
		if other.IsValid() {
			v.Notes = append(v.Notes, fmt.Sprintf("the server's OTHER-ADDRESS %s does not differ from %s in both IP and port: RFC 5780 behaviour discovery needs a server with two addresses", other, e.Server))
		} else {
			v.Notes = append(v.Notes, "the server does not support RFC 5780 (no OTHER-ADDRESS in its answers): only UDP reachability, the mapped address and whether there is a NAT can be proven; mapping and filtering are inconclusive")
		}
		if v.NoNAT {
			v.NAT = measurement.Open
			v.Mapping = measurement.EndpointIndependent
		}
		return v
	}

	v.Mapping = classifyMapping(e, other, noNATMap, &v.Notes)
	v.Filtering = classifyFiltering(e, other, &v.Notes)

	switch {
	case v.NoNAT:
		// Without translation the mapping is trivially endpoint-independent
		// (RFC 4787 §4.1); the filtering result shows a firewall, if any.
		v.Mapping = measurement.EndpointIndependent
		v.NAT = measurement.Open
		if v.Filtering != measurement.EndpointIndependent && v.Filtering != measurement.Inconclusive {
			v.Notes = append(v.Notes, "no NAT, but a firewall filters unsolicited inbound UDP ("+v.Filtering+" filtering)")
		}
	case v.Mapping == measurement.AddressDependent || v.Mapping == measurement.AddressAndPortDependent || mappingNotIndependent(e, noNATMap):
		// RFC 3489's symmetric NAT is any mapping that is not
		// endpoint-independent, whatever the filtering.
		v.NAT = measurement.Symmetric
	case v.Mapping == measurement.EndpointIndependent:
		switch v.Filtering {
		case measurement.EndpointIndependent:
			v.NAT = measurement.FullCone
		case measurement.AddressDependent:
			v.NAT = measurement.RestrictedCone
		case measurement.AddressAndPortDependent:
			v.NAT = measurement.PortRestrictedCone
		}
	}
	return v
}

// mappingNotIndependent: test II proved the mapping changes with the
// destination, even when test III was lost (then mapping itself stays
// inconclusive but the classic type is known: symmetric).
func mappingNotIndependent(e Evidence, noNAT bool) bool {
	return !noNAT && e.MapI.Answered && e.MapII.Answered && e.MapI.Answer.Mapped.IsValid() &&
		e.MapII.Answer.Mapped.IsValid() && e.MapII.Answer.Mapped != e.MapI.Answer.Mapped
}

// classifyMapping implements RFC 5780 §4.3.
func classifyMapping(e Evidence, other netip.AddrPort, noNAT bool, notes *[]string) string {
	if noNAT {
		return measurement.EndpointIndependent
	}
	i, ii, iii := e.MapI, e.MapII, e.MapIII
	if !i.Answered || !i.Answer.Mapped.IsValid() {
		*notes = append(*notes, "mapping test I got no answer: mapping inconclusive")
		return measurement.Inconclusive
	}
	// Test II: alternate IP, primary port.
	if !ii.Answered || !ii.Answer.Mapped.IsValid() {
		*notes = append(*notes, "mapping test II got no answer: mapping inconclusive")
		return measurement.Inconclusive
	}
	if ii.Answer.Mapped == i.Answer.Mapped {
		return measurement.EndpointIndependent
	}
	// Test III: alternate IP and port.
	if !iii.Answered || !iii.Answer.Mapped.IsValid() {
		*notes = append(*notes, "mapping test III got no answer: the mapping is not endpoint-independent (symmetric), but address vs address-and-port dependence is inconclusive")
		return measurement.Inconclusive
	}
	if iii.Answer.Mapped == ii.Answer.Mapped {
		return measurement.AddressDependent
	}
	return measurement.AddressAndPortDependent
}

// classifyFiltering implements RFC 5780 §4.4. Silence is evidence of
// filtering only when test I on the same binding was answered (the path and
// the server work) and the test ran its full retransmission schedule.
func classifyFiltering(e Evidence, other netip.AddrPort, notes *[]string) string {
	i, ii, iii := e.FiltI, e.FiltII, e.FiltIII
	altBoth := other
	altPort := netip.AddrPortFrom(e.Server.Addr(), other.Port())
	for _, t := range []struct {
		name string
		o    Outcome
	}{{"filtering test II", ii}, {"filtering test III", iii}} {
		if t.o.Answered && t.o.Answer.Error != "" {
			*notes = append(*notes, t.name+": the server refused CHANGE-REQUEST ("+t.o.Answer.Error+"): filtering inconclusive")
			return measurement.Inconclusive
		}
	}
	if ii.Answered && !answeredFrom(ii, altBoth) {
		*notes = append(*notes, fmt.Sprintf("filtering test II was answered from %s, not from the alternate address %s: the server does not honour CHANGE-REQUEST, filtering inconclusive", ii.Answer.From, altBoth))
		return measurement.Inconclusive
	}
	if iii.Answered && !answeredFrom(iii, altPort) {
		*notes = append(*notes, fmt.Sprintf("filtering test III was answered from %s, not from %s: the server does not honour CHANGE-REQUEST, filtering inconclusive", iii.Answer.From, altPort))
		return measurement.Inconclusive
	}
	if ii.Answered {
		// An answer from an address the client never sent to got through.
		return measurement.EndpointIndependent
	}
	if !i.Answered {
		*notes = append(*notes, "filtering test I got no answer, so the silence of tests II and III proves nothing: filtering inconclusive")
		return measurement.Inconclusive
	}
	if !ii.Ran || !iii.Ran {
		*notes = append(*notes, "filtering tests II/III did not run: filtering inconclusive")
		return measurement.Inconclusive
	}
	if iii.Answered {
		return measurement.AddressDependent
	}
	return measurement.AddressAndPortDependent
}
