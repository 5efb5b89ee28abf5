package lab

import (
	"net/netip"
)

// Topology names a client network behind one kind of NAT (SPEC §9, issue 4).
type Topology string

// The lab's client topologies.
const (
	TopoNoNAT              Topology = "no_nat"               // the client holds a public address, plain routing
	TopoFullCone           Topology = "full_cone"            // EIM + endpoint-independent filtering
	TopoRestrictedCone     Topology = "restricted_cone"      // EIM + address-dependent filtering
	TopoPortRestrictedCone Topology = "port_restricted_cone" // plain masquerade: EIM + APDF
	TopoSymmetric          Topology = "symmetric"            // masquerade fully-random: APDM + APDF
	TopoOperatorNAT        Topology = "operator_nat"         // home masquerade behind an operator masquerade in 100.64.0.0/10
	TopoUDPBlocked         Topology = "udp_blocked"          // the router drops all forwarded UDP
	TopoSharedIPv4         Topology = "shared_ipv4"          // SNAT into an assigned port range
)

// TopoOperatorNATNoICMP is operator_nat whose operator drops ICMP time
// exceeded (its own and any it forwards): the path probe sees nothing beyond
// the home router, only NAT-PMP can reveal the second NAT.
const TopoOperatorNATNoICMP Topology = "operator_nat_icmp_filtered"

// Topologies lists every topology, in a stable order.
var Topologies = []Topology{
	TopoNoNAT, TopoFullCone, TopoRestrictedCone, TopoPortRestrictedCone,
	TopoSymmetric, TopoOperatorNAT, TopoOperatorNATNoICMP, TopoUDPBlocked, TopoSharedIPv4,
}

// HasNATPMP reports whether the topology's router answers NAT-PMP
// (miniupnpd, see StartNATPMP). The tests that build one need "miniupnpd".
func (t Topology) HasNATPMP() bool {
	switch t {
	case TopoPortRestrictedCone, TopoOperatorNAT, TopoOperatorNATNoICMP:
		return true
	}
	return false
}

// operatorNAT reports whether the topology puts the operator's NAT (the
// "cgn" namespace) in front of the home router.
func (t Topology) operatorNAT() bool { return t == TopoOperatorNAT || t == TopoOperatorNATNoICMP }

// Lab addresses. The "internet" is the documentation ranges, the operator's
// network 100.64.0.0/24, the LAN a small private range.
var (
	ServerPrimary = netip.MustParseAddr("192.0.2.1")
	ServerAlt     = netip.MustParseAddr("192.0.2.2")
	RouterWAN     = netip.MustParseAddr("198.51.100.2") // the site's (or the operator's) public address
	ISPAddr       = netip.MustParseAddr("198.51.100.1")
	CGNInside     = netip.MustParseAddr("100.64.0.1")
	HomeWANCGN    = netip.MustParseAddr("100.64.0.2") // the home router's WAN behind operator NAT
	LANRouter     = netip.MustParseAddr("10.0.1.1")
	LANClient     = netip.MustParseAddr("10.0.1.2")
	PublicClient  = netip.MustParseAddr("203.0.113.2") // the client in the no-NAT topology
)

// SharedPortRange is the port range the shared-IPv4 topology's customer owns.
const SharedPortRange = "16384-32767"

// STUNPort is the lab STUN server's primary port (RFC 5389 §18.4).
const STUNPort = 3478

// NATLab is one client topology with its STUN server:
//
//	client ── router ──[cgn]── isp ── server (192.0.2.1, 192.0.2.2)
//
// The client reaches the server in 3 hops (4 behind operator NAT); ISP and
// server form the "internet".
type NATLab struct {
	Topology Topology
	Client   *NS
	Router   *NS
	CGN      *NS // only behind operator NAT
	ISP      *NS
	Server   *STUNServer
	NATPMP   *NATPMPServer // only where Topology.HasNATPMP
}

// routerRules returns the nftables ruleset of the site's router ("lan0"
// inside, "wan0" outside) for a topology.
//
// Linux masquerade keeps the source port when it is free, so one local port
// keeps one mapping for every destination: endpoint-independent mapping.
// Conntrack only lets answers from the exact remote address:port back in:
// address-and-port-dependent filtering, a port-restricted cone. The cones
// with looser filtering are emulated in prerouting: full cone DNATs every new
// inbound UDP datagram back to the client (the port is unchanged because
// masquerade preserved it); restricted cone does so only for remote
// addresses the client has sent to from that port, remembered in a dynamic
// set keyed by remote address and local port.
func routerRules(topo Topology) string {
	const masq = `
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "wan0" masquerade
	}
`
	switch topo {
	case TopoFullCone:
		return `table ip lab {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "wan0" meta l4proto udp dnat to ` + LANClient.String() + `
	}` + masq + `}
`
	case TopoRestrictedCone:
		return `table ip lab {
	set contacted {
		type ipv4_addr . inet_service
		flags dynamic, timeout
		timeout 2m
	}
	chain forwarding {
		type filter hook forward priority filter; policy accept;
		iifname "lan0" meta l4proto udp update @contacted { ip daddr . udp sport }
	}
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "wan0" ip saddr . udp dport @contacted dnat to ` + LANClient.String() + `
	}` + masq + `}
`
	case TopoPortRestrictedCone, TopoOperatorNAT, TopoOperatorNATNoICMP:
		return "table ip lab {" + masq + "}\n"
	case TopoSymmetric:
		return `table ip lab {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "wan0" masquerade fully-random
	}
}
`
	case TopoUDPBlocked:
		return `table ip lab {
	chain forwarding {
		type filter hook forward priority filter; policy accept;
		iifname "lan0" meta l4proto udp drop
	}` + masq + `}
`
	case TopoSharedIPv4:
		return `table ip lab {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "wan0" meta l4proto udp snat to ` + RouterWAN.String() + `:` + SharedPortRange + `
		oifname "wan0" snat to ` + RouterWAN.String() + `
	}
}
`
	}
	return ""
}

// cgnRules is the operator's NAT: plain masquerade of the 100.64.0.0/24
// customers onto its public address.
const cgnRules = `table ip lab {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "wan0" masquerade
	}
}
`

// cgnNoICMPRules makes the operator's router drop ICMP time exceeded, both
// the ones it sends itself (output) and the ones it forwards from routers
// beyond it (forward), as some operators do.
const cgnNoICMPRules = `table ip lab_noicmp {
	chain local_out {
		type filter hook output priority filter; policy accept;
		icmp type time-exceeded drop
	}
	chain forwarded {
		type filter hook forward priority filter; policy accept;
		icmp type time-exceeded drop
	}
}
`

// BuildNAT builds one topology and starts its STUN server. Everything is torn
// down with the lab.
func (l *Lab) BuildNAT(topo Topology) *NATLab {
	l.t.Helper()
	n := &NATLab{Topology: topo}
	srv := l.Namespace("srv")
	n.ISP = l.Namespace("isp")
	n.Router = l.Namespace("rtr")
	n.Client = l.Namespace("cli")

	l.Link(srv, "eth0", []string{ServerPrimary.String() + "/24", ServerAlt.String() + "/24"}, n.ISP, "srv0", []string{"192.0.2.254/24"})
	srv.MustRun("ip", "route", "add", "default", "via", "192.0.2.254")
	forward(n.ISP)

	if topo.operatorNAT() {
		n.CGN = l.Namespace("cgn")
		l.Link(n.ISP, "wan1", []string{ISPAddr.String() + "/24"}, n.CGN, "wan0", []string{RouterWAN.String() + "/24"})
		n.CGN.MustRun("ip", "route", "add", "default", "via", ISPAddr.String())
		forward(n.CGN)
		nft(l, n.CGN, cgnRules)
		if topo == TopoOperatorNATNoICMP {
			nft(l, n.CGN, cgnNoICMPRules)
		}
		l.Link(n.CGN, "lan0", []string{CGNInside.String() + "/24"}, n.Router, "wan0", []string{HomeWANCGN.String() + "/24"})
		n.Router.MustRun("ip", "route", "add", "default", "via", CGNInside.String())
	} else {
		l.Link(n.ISP, "wan1", []string{ISPAddr.String() + "/24"}, n.Router, "wan0", []string{RouterWAN.String() + "/24"})
		n.Router.MustRun("ip", "route", "add", "default", "via", ISPAddr.String())
	}
	forward(n.Router)

	if topo == TopoNoNAT {
		l.Link(n.Router, "lan0", []string{"203.0.113.1/24"}, n.Client, "eth0", []string{PublicClient.String() + "/24"})
		n.Client.MustRun("ip", "route", "add", "default", "via", "203.0.113.1")
		n.ISP.MustRun("ip", "route", "add", "203.0.113.0/24", "via", RouterWAN.String())
	} else {
		l.Link(n.Router, "lan0", []string{LANRouter.String() + "/24"}, n.Client, "eth0", []string{LANClient.String() + "/24"})
		n.Client.MustRun("ip", "route", "add", "default", "via", LANRouter.String())
		nft(l, n.Router, routerRules(topo))
	}
	n.Server = l.StartSTUNServer(srv, ServerPrimary, ServerAlt, STUNPort)
	if topo.HasNATPMP() {
		// miniupnpd learns the router's external address from a STUN
		// server that sees the router's WAN address untranslated (see
		// StartNATPMP): the lab server for a router on the internet, one
		// on the operator's side of the CGN link behind operator NAT.
		stunFor, wan := n.Server.Primary, RouterWAN
		if topo.operatorNAT() {
			stunFor, wan = l.StartPlainSTUN(n.CGN, CGNInside, STUNPort), HomeWANCGN
		}
		n.NATPMP = l.StartNATPMP(n.Router, "wan0", "lan0", netip.PrefixFrom(LANRouter, 24).Masked(), stunFor, wan)
	}
	return n
}

// forward makes ns a router. ICMP rate limiting is lifted so that repeated
// runs get their time-exceeded answers (real routers rate-limit, which the
// probe handles by retransmitting; the lab wants repeatable runs).
func forward(ns *NS) {
	ns.MustRun("sysctl", "-q", "-w", "net.ipv4.ip_forward=1")
	ns.MustRun("sysctl", "-q", "-w", "net.ipv4.icmp_ratelimit=0")
}

func nft(l *Lab, ns *NS, rules string) {
	l.t.Helper()
	if out, err := ns.RunStdin(rules, "nft", "-f", "-"); err != nil {
		l.t.Fatalf("nft in %s: %v\n%s\nruleset:\n%s", ns.name, err, out, rules)
	}
}
