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
	lab.TopoUDPBlocked:  {measurement.Inconclusive, measurement.Inconclusive, measurement.UDPBlocked, false, true, false},
	// SNAT into a port range: the LAN's ephemeral ports (32768-60999) lie
	// outside the range, so the kernel picks a port inside it — and keeps
	// picking the same one for the same source port whatever the
	// destination (observed on Linux 6.x): endpoint-independent mapping,
	// conntrack filtering, a port-restricted cone inside the range.
	lab.TopoSharedIPv4: {measurement.EndpointIndependent, measurement.AddressAndPortDependent, measurement.PortRestrictedCone, false, false, false},
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
	lab.Require(t, "nft", "turnserver", "sysctl")
	for _, topo := range lab.Topologies {
		t.Run(string(topo), func(t *testing.T) {
			l := lab.New(t)
			n := l.BuildNAT(topo)
			want := labExpect[topo]
			for run := 1; run <= labRuns(); run++ {
				m := probeIn(t, n.Client, n.Server.Primary, netip.Addr{})
				checkLab(t, topo, run, m, want)
				if topo == lab.TopoSharedIPv4 && m.Mapped != "" {
					ap := netip.MustParseAddrPort(m.Mapped)
					if ap.Port() < 16384 || ap.Port() > 32767 {
						t.Errorf("run %d: mapped port %d outside the assigned range %s", run, ap.Port(), lab.SharedPortRange)
					}
				}
			}
		})
	}
}

// TestLabDeclaredWAN: behind operator NAT, the declared WAN address (what
// the customer's router shows) differs from what the server sees.
func TestLabDeclaredWAN(t *testing.T) {
	lab.Require(t, "nft", "turnserver", "sysctl")
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
	var m *measurement.Measurement
	if err := ns.Do(func() error {
		var err error
		m, err = Probe(context.Background(), Options{Server: server, DeclaredWAN: wan})
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
