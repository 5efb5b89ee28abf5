package natprobe

import (
	"context"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/p2pplan/p2pplan/internal/lab"
	"github.com/p2pplan/p2pplan/internal/measurement"
)

// labWant is what a topology must be classified as, every run.
type labWant struct {
	mapping, filtering, nat string
	noNAT, udpBlocked, op   bool
}

var labExpect = map[lab.Topology]labWant{
	lab.TopoNoNAT:              {measurement.EndpointIndependent, measurement.EndpointIndependent, measurement.Open, true, false, false},
	lab.TopoFullCone:           {measurement.EndpointIndependent, measurement.EndpointIndependent, measurement.FullCone, false, false, false},
	lab.TopoRestrictedCone:     {measurement.EndpointIndependent, measurement.AddressDependent, measurement.RestrictedCone, false, false, false},
	lab.TopoPortRestrictedCone: {measurement.EndpointIndependent, measurement.AddressAndPortDependent, measurement.PortRestrictedCone, false, false, false},
	lab.TopoSymmetric:          {measurement.AddressAndPortDependent, measurement.AddressAndPortDependent, measurement.Symmetric, false, false, false},
	// Two port-preserving masquerades in series behave as one port-
	// restricted cone; the second NAT shows on the path.
	lab.TopoOperatorNAT: {measurement.EndpointIndependent, measurement.AddressAndPortDependent, measurement.PortRestrictedCone, false, false, true},
	// The same behind an operator that drops ICMP time exceeded: only the
	// router's NAT-PMP answer (100.64.0.2) shows the second NAT.
	lab.TopoOperatorNATNoICMP: {measurement.EndpointIndependent, measurement.AddressAndPortDependent, measurement.PortRestrictedCone, false, false, true},
	lab.TopoUDPBlocked:        {measurement.Inconclusive, measurement.Inconclusive, measurement.UDPBlocked, false, true, false},
	// SNAT into a port range: the LAN's ephemeral ports (32768-60999) lie
	// outside the range, so the kernel picks a port inside it — and keeps
	// picking the same one for the same source port whatever the
	// destination (observed on Linux 6.x): endpoint-independent mapping,
	// conntrack filtering, a port-restricted cone inside the range.
	lab.TopoSharedIPv4: {measurement.EndpointIndependent, measurement.AddressAndPortDependent, measurement.PortRestrictedCone, false, false, false},
}

// labNATPMP is the external address the router's NAT-PMP server reports
// (RFC 6886 §3.2) where it runs one; elsewhere the request goes unanswered.
var labNATPMP = map[lab.Topology]string{
	lab.TopoPortRestrictedCone: lab.RouterWAN.String(),
	lab.TopoOperatorNAT:        lab.HomeWANCGN.String(),
	lab.TopoOperatorNATNoICMP:  lab.HomeWANCGN.String(),
}

// labRuns is how many times each topology is classified: all must be right.
func labRuns() int {
	if lab.InCI() {
		return 5
	}
	return 3
}

// TestLabTopologies classifies every client topology against coturn in
// network namespaces (SPEC §9).
func TestLabTopologies(t *testing.T) {
	lab.Require(t, "nft", "turnserver", "sysctl", "miniupnpd")
	for _, topo := range lab.Topologies {
		t.Run(string(topo), func(t *testing.T) {
			l := lab.New(t)
			n := l.BuildNAT(topo)
			want := labExpect[topo]
			for run := 1; run <= labRuns(); run++ {
				m := probeIn(t, n.Client, n.Server.Primary, netip.Addr{})
				checkLab(t, topo, run, m, want)
				checkNATPMP(t, topo, run, m)
				if topo == lab.TopoSharedIPv4 && m.Mapped != "" {
					ap := netip.MustParseAddrPort(m.Mapped)
					if ap.Port() < 16384 || ap.Port() > 32767 {
						t.Errorf("run %d: mapped port %d outside the assigned range %s", run, ap.Port(), lab.SharedPortRange)
					}
				}
			}
			if n.NATPMP != nil {
				// miniupnpd left the router's NAT rules alone.
				n.NATPMP.CheckRuleset()
			}
		})
	}
}

// checkNATPMP checks the raw NAT-PMP test: asked of the client's gateway,
// answered with the router's WAN address where miniupnpd runs.
func checkNATPMP(t *testing.T, topo lab.Topology, run int, m *measurement.Measurement) {
	t.Helper()
	var got *measurement.Test
	for i := range m.Tests {
		if m.Tests[i].Name == "natpmp-external-address" {
			got = &m.Tests[i]
		}
	}
	gw := lab.LANRouter.String()
	if topo == lab.TopoNoNAT {
		gw = "203.0.113.1"
	}
	switch {
	case got == nil:
		t.Errorf("%s run %d: no natpmp-external-address test in %+v", topo, run, m.Tests)
	case got.Request != gw+":5351 NAT-PMP opcode 0":
		t.Errorf("%s run %d: NAT-PMP request %q, want it sent to the lab gateway %s", topo, run, got.Request, gw)
	case labNATPMP[topo] != "" && (!got.Answered || got.Mapped != labNATPMP[topo] || got.From != gw+":5351"):
		t.Errorf("%s run %d: NAT-PMP %+v, want answered from %s:5351 with %s", topo, run, *got, gw, labNATPMP[topo])
	case labNATPMP[topo] == "" && got.Answered:
		t.Errorf("%s run %d: NAT-PMP answered without a server: %+v", topo, run, *got)
	}
}

// TestLabOperatorNATOnlyNATPMP: behind an operator that drops ICMP time
// exceeded, the path probe cannot see the second NAT (without NAT-PMP the
// result is inconclusive); the router's NAT-PMP answer, 100.64.0.2 (RFC
// 6598), shows it.
func TestLabOperatorNATOnlyNATPMP(t *testing.T) {
	lab.Require(t, "nft", "turnserver", "sysctl", "miniupnpd")
	l := lab.New(t)
	n := l.BuildNAT(lab.TopoOperatorNATNoICMP)

	without := probeWith(t, n.Client, Options{Server: n.Server.Primary, NATPMP: NoNATPMP})
	ev := strings.Join(without.OperatorNATEvidence, "\n")
	if without.OperatorNAT || without.OperatorNATResult != OperatorNATInconclusive || !strings.Contains(ev, "hop 2: no answer") {
		t.Errorf("without NAT-PMP: operator_nat %v (%s), want inconclusive with a silent hop 2:\n%s", without.OperatorNAT, without.OperatorNATResult, ev)
	}

	with := probeIn(t, n.Client, n.Server.Primary, netip.Addr{})
	ev = strings.Join(with.OperatorNATEvidence, "\n")
	if !with.OperatorNAT || with.OperatorNATResult != OperatorNATDetected || !strings.Contains(ev, "100.64.0.2") || !strings.Contains(ev, "RFC 6598") || !strings.Contains(ev, "hop 2: no answer") {
		t.Errorf("with NAT-PMP: operator_nat %v (%s), want detected from 100.64.0.2:\n%s", with.OperatorNAT, with.OperatorNATResult, ev)
	}
	n.NATPMP.CheckRuleset()
}

// TestLabDeclaredWAN: behind operator NAT, the declared WAN address (what
// the customer's router shows) differs from what the server sees.
func TestLabDeclaredWAN(t *testing.T) {
	lab.Require(t, "nft", "turnserver", "sysctl", "miniupnpd")
	l := lab.New(t)
	n := l.BuildNAT(lab.TopoPortRestrictedCone)
	m := probeIn(t, n.Client, n.Server.Primary, lab.RouterWAN)
	if m.OperatorNAT || m.OperatorNATResult != OperatorNATNotDetected {
		t.Errorf("declared WAN = mapped: operator_nat %v (%s), evidence %q", m.OperatorNAT, m.OperatorNATResult, m.OperatorNATEvidence)
	}
	m = probeIn(t, n.Client, n.Server.Primary, netip.MustParseAddr("203.0.113.77"))
	if !m.OperatorNAT {
		t.Errorf("declared WAN != mapped: operator_nat false, evidence %q", m.OperatorNATEvidence)
	}
}

// TestLabServerWithoutRFC5780: a STUN server on one address (coturn with
// --no-rfc5780) still proves UDP works and whether there is a NAT.
func TestLabServerWithoutRFC5780(t *testing.T) {
	lab.Require(t, "turnserver")
	l := lab.New(t)
	srv, cli := l.Namespace("srv"), l.Namespace("cli")
	l.Link(srv, "eth0", []string{"192.0.2.1/24"}, cli, "eth0", []string{"192.0.2.9/24"})
	srv.Start("turnserver", "-n", "--listening-ip", "192.0.2.1", "--listening-port", "3478",
		"--stun-only", "--no-tls", "--no-dtls", "--no-cli", "--no-auth", "--no-rfc5780", "--log-file", "stdout")
	server := netip.MustParseAddrPort("192.0.2.1:3478")
	var m *measurement.Measurement
	ok := lab.WaitFor(5e9, func() bool {
		m = probeIn(t, cli, server, netip.Addr{})
		return !m.UDPBlocked
	})
	if !ok {
		t.Fatalf("server never answered: %+v", m)
	}
	if m.ServerRFC5780 || m.NAT != measurement.Open || !m.NoNAT || m.Filtering != measurement.Inconclusive {
		t.Errorf("got server_rfc5780=%v nat=%s no_nat=%v filtering=%s", m.ServerRFC5780, m.NAT, m.NoNAT, m.Filtering)
	}
	if len(m.Notes) == 0 || !strings.Contains(m.Notes[0], "RFC 5780") {
		t.Errorf("notes %q lack the RFC 5780 message", m.Notes)
	}
}

func probeIn(t *testing.T, ns *lab.NS, server netip.AddrPort, wan netip.Addr) *measurement.Measurement {
	t.Helper()
	return probeWith(t, ns, Options{Server: server, DeclaredWAN: wan})
}

// probeWith runs the probe inside ns: its sockets, and the routing table it
// reads for the gateway, are the namespace's.
func probeWith(t *testing.T, ns *lab.NS, o Options) *measurement.Measurement {
	t.Helper()
	var m *measurement.Measurement
	if err := ns.Do(func() error {
		var err error
		m, err = Probe(context.Background(), o)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return m
}

func checkLab(t *testing.T, topo lab.Topology, run int, m *measurement.Measurement, w labWant) {
	t.Helper()
	var bad []string
	check := func(name, got, want string) {
		if got != want {
			bad = append(bad, name+"="+got+" want "+want)
		}
	}
	check("mapping", m.Mapping, w.mapping)
	check("filtering", m.Filtering, w.filtering)
	check("nat", m.NAT, w.nat)
	check("no_nat", strconv.FormatBool(m.NoNAT), strconv.FormatBool(w.noNAT))
	check("udp_blocked", strconv.FormatBool(m.UDPBlocked), strconv.FormatBool(w.udpBlocked))
	check("operator_nat", strconv.FormatBool(m.OperatorNAT), strconv.FormatBool(w.op))
	if len(bad) > 0 {
		var sb strings.Builder
		_ = WriteText(&sb, m)
		t.Errorf("%s run %d: %s\n%s", topo, run, strings.Join(bad, ", "), sb.String())
		return
	}
	t.Logf("%s run %d: %s in %.0f ms", topo, run, m.NAT, m.DurationMs)
}

// TestLabLoss: with 20% of forwarded UDP dropped at random by the router, in
// both directions (nftables numgen; the lab kernel has no netem), a
// verdict is either right or inconclusive — a lost packet never turns into a
// wrong behaviour.
func TestLabLoss(t *testing.T) {
	lab.Require(t, "nft", "turnserver", "sysctl")
	for _, topo := range []lab.Topology{lab.TopoRestrictedCone, lab.TopoSymmetric} {
		t.Run(string(topo), func(t *testing.T) {
			l := lab.New(t)
			n := l.BuildNAT(topo)
			if out, err := n.Router.RunStdin(`table ip loss {
	chain forward {
		type filter hook forward priority -10; policy accept;
		meta l4proto udp numgen random mod 5 == 0 drop
	}
}
`, "nft", "-f", "-"); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			w := labExpect[topo]
			for run := 1; run <= 2*labRuns(); run++ {
				m := probeIn(t, n.Client, n.Server.Primary, netip.Addr{})
				for _, f := range []struct{ name, got, want string }{
					{"mapping", m.Mapping, w.mapping}, {"filtering", m.Filtering, w.filtering}, {"nat", m.NAT, w.nat},
				} {
					if f.got != f.want && f.got != measurement.Inconclusive {
						t.Errorf("run %d: %s=%s, want %s or inconclusive", run, f.name, f.got, f.want)
					}
				}
				if m.UDPBlocked {
					t.Errorf("run %d: udp_blocked under 20%% loss", run)
				}
				t.Logf("run %d: %s/%s/%s in %.0f ms", run, m.Mapping, m.Filtering, m.NAT, m.DurationMs)
			}
		})
	}
}
