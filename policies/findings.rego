# Findings of SPEC §6: the field guide's known issues (P2P-*) and the
# security review (SEC-*). Severities and titles come from
# data.p2pplan.config.findings so an operator can retune them.
package p2pplan

# SPEC §5 "Known issues": the findings that mean P2P is not the answer.
known_issue_ids := {"P2P-001", "P2P-002", "P2P-003", "P2P-004", "P2P-005", "P2P-006", "P2P-007", "P2P-008", "P2P-009"}

# Sort rank of the severities, most severe first.
severity_rank := {"denied": 0, "high": 1, "medium": 2, "low": 3, "info": 4}

# A finding built from the catalogue in data; an id missing from an
# operator's catalogue still comes out (severity high, title = id): fail closed.
finding(id, detail, remediation, field) := {
	"id": id,
	"severity": object.get(catalogue, [id, "severity"], "high"),
	"title": object.get(catalogue, [id, "title"], id),
	"detail": detail,
	"remediation": remediation,
	"field": field,
}

# Ports of all the services, in device then service order.
services := [s |
	some d in site.devices
	some svc in as_array(d.services)
	s := object.union(svc, {"device": d.name})
]

as_array(x) := x if {
	is_array(x)
} else := []

# The measurement's evidence for operator NAT, as one sentence fragment.
operator_nat_evidence := concat("; ", ev) if {
	ev := as_array(input.measurement.operator_nat_evidence)
	count(ev) > 0
} else := "no evidence recorded"

measured_operator_nat if {
	input.measurement != null
	input.measurement.operator_nat == true
}

# --- known issues (P2P-*) ------------------------------------------------

# field guide: known issue 1, firewall or secured router.
p2p_findings contains finding(
	"P2P-001",
	sprintf("Site %q declares router.firewall = true: P2P re-routes traffic on the fly with changing remote address/port pairs, so the firewall sees it and blocks it; opening every UDP port would not be enough, it would have to admit every STUN server, relay and remote client.", [site.name]),
	"Do not rely on the vendor's P2P on a firewall-protected network: use a VPN (the field guide's answer for secured sites), auto-register, or a dedicated additional router.",
	"router.firewall",
) if {
	site.router.firewall == true
}

# field guide: known issue 2, operator NAT (declared).
p2p_findings contains finding(
	"P2P-002",
	sprintf("wan.operator_nat = true: the operator NATs this site too (carrier-grade NAT), so it has no public IPv4 address of its own and nothing from outside can reach it directly.%s", [corroboration]),
	"Ask the operator for a public, fixed IPv4 address of the site's own (some sell it as an option), or use a mode that connects outwards: VPN or auto-register; fixed IPv6 if both sides have it.",
	"wan.operator_nat",
) if {
	site.wan.operator_nat == true
}

# The measurement's agreement with a declared operator NAT, if any.
corroboration := sprintf(" The measurement agrees (%s).", [operator_nat_evidence]) if {
	measured_operator_nat
} else := ""

# field guide: known issue 2, operator NAT (measured by p2pplan probe).
p2p_findings contains finding(
	"P2P-002",
	sprintf("The measurement found operator NAT (carrier-grade NAT) in front of the site: %s. The site has no public IPv4 address of its own.", [operator_nat_evidence]),
	"Ask the operator for a public, fixed IPv4 address of the site's own, or use a mode that connects outwards: VPN or auto-register; declare wan.operator_nat = true.",
	"measurement",
) if {
	measured_operator_nat
	site.wan.operator_nat != true
}

# field guide: known issue 3, shared IPv4 with port sharing.
p2p_findings contains finding(
	"P2P-003",
	sprintf("The site's IPv4 address%s is shared with other customers of the operator; only ports %d-%d belong to this site, so P2P mappings and forwards outside that range cannot work.", [address, r.from, r.to]),
	sprintf("Keep every external port inside %d-%d (p2pplan's PAT allocates them there), or use VPN or auto-register, which only connect outwards.", [r.from, r.to]),
	"wan.shared_ipv4_ports",
) if {
	r := site.wan.shared_ipv4_ports
	r != null
	address := ipv4_text
}

ipv4_text := sprintf(" %s", [site.wan.ipv4]) if {
	site.wan.ipv4 != ""
} else := ""

# field guide: known issue 4, symmetric NAT on the router.
p2p_findings contains finding(
	"P2P-004",
	sprintf("The site's router does symmetric NAT (%s): it uses a new external port for every destination, so a remote client cannot predict it; P2P only works with clients behind no NAT, full cone or restricted cone (the clients here: %s).", [source, client_nat]),
	"Set the router to endpoint-independent mapping if it has the option, or ask the operator for a router that does not do symmetric NAT; otherwise use an alternative: VPN, PAT or IPv6.",
	site_nat_field,
) if {
	site_nat == "symmetric"
	source := nat_source
}

# Where the site's NAT type comes from, for details.
nat_source := "measured by p2pplan probe" if {
	measured
} else := "declared in router.nat"

# field guide: known issue 5, operator restrictions.
p2p_findings contains finding(
	"P2P-005",
	"wan.operator_restrictions = true: the operator filters or restricts NAT on this line, so P2P mappings and inbound forwards cannot be relied on.",
	"Ask the operator to lift the restriction or for a line without it; meanwhile use VPN or auto-register, which connect outwards.",
	"wan.operator_restrictions",
) if {
	site.wan.operator_restrictions == true
}

# field guide: known issue 6, UDP blocked (site side).
p2p_findings contains finding(
	"P2P-006",
	sprintf("UDP is blocked at the site (%s): the STUN exchanges P2P depends on get no answer, and WireGuard cannot run either.", [source]),
	"Open outbound UDP on the site's router or ask the operator, then run p2pplan probe again; until then use TCP-only modes: auto-register, PAT or a dedicated additional router.",
	site_nat_field,
) if {
	site_nat == "udp_blocked"
	source := nat_source
}

# field guide: known issue 6, UDP blocked (client side).
p2p_findings contains finding(
	"P2P-006",
	"The remote clients declare clients.nat = udp_blocked: UDP does not get through from their networks, so P2P cannot reach the site from them.",
	"Have the clients use a network that lets UDP out, or choose a mode that works over TCP: auto-register or PAT.",
	"clients.nat",
) if {
	client_nat == "udp_blocked"
}

# field guide: known issue 7, no direct path (relay only).
p2p_findings contains finding(
	"P2P-007",
	sprintf("The site's NAT (%s) and the clients' NAT (%s) cannot connect directly: P2P only works through the vendor's relay servers, slowly.", [site_nat, client_nat]),
	"Do not depend on the vendor's relay: move to an alternative (VPN, PAT, IPv6 or auto-register).",
	site_nat_field,
) if {
	path == "relay"
}

# field guide: known issue 8, NAT type unknown (site side): ask for a probe.
p2p_findings contains finding(
	"P2P-008",
	sprintf("The site's NAT type is not known: router.nat is not declared%s.", [inconclusive]),
	"Run `p2pplan probe --server HOST:PORT --json` on the site's network and set measurement = \"FILE\" in the site block, or declare router.nat.",
	"router.nat",
) if {
	not nat_known(site_nat)
	inconclusive := inconclusive_text
}

inconclusive_text := " and the measurement was inconclusive" if {
	input.measurement != null
} else := ""

# field guide: known issue 8, NAT type unknown (client side): ask for a probe.
p2p_findings contains finding(
	"P2P-008",
	"The remote clients' NAT type is not known: clients.nat is not declared.",
	"Run p2pplan probe from a typical remote client's network and declare clients.nat (mobile networks are often symmetric).",
	"clients.nat",
) if {
	not nat_known(client_nat)
}

# field guide: known issue 9, device not declared online.
p2p_findings contains finding(
	"P2P-009",
	sprintf("Site %q declares online = false: the device is not declared online on the vendor cloud, so the vendor's P2P service cannot find it.", [site.name]),
	"Register the device on the vendor's cloud and check that it shows online before looking further (checklist step 2), then set online = true.",
	"online",
) if {
	site.online != true
}

# SPEC §4: a conflict between the measurement and the declared router.nat.
p2p_findings contains finding(
	"P2P-010",
	sprintf("The measurement found %s but router.nat declares %s; the measurement is used.", [site_nat, site.router.nat]),
	"Correct router.nat, or find out why the router behaves differently than declared (another router in front of it, operator NAT), then probe again.",
	"measurement",
) if {
	measured
	nat_known(site.router.nat)
	site_nat != site.router.nat
}

# SPEC §4: the measurement found operator NAT that the site file does not declare.
p2p_findings contains finding(
	"P2P-010",
	sprintf("The measurement found operator NAT (%s) but wan.operator_nat is false.", [operator_nat_evidence]),
	"Set wan.operator_nat = true if the operator confirms it, or probe again from the site's own network.",
	"measurement",
) if {
	measured_operator_nat
	site.wan.operator_nat != true
}

# SPEC §4 and issue 4: the server saw the site from another public IPv4
# than the one the site file declares: another NAT (operator NAT, a second
# router) or another line is in front of the site.
p2p_findings contains finding(
	"P2P-010",
	sprintf("The STUN server saw the site's traffic come from %s but wan.ipv4 declares %s: another NAT or another line is in front of the site.", [measured_public_ip, site.wan.ipv4]),
	"Check which line and router the site really uses (the router's WAN page, the operator), correct wan.ipv4, and probe again from the site's own network.",
	"measurement",
) if {
	input.measurement != null
	input.measurement.no_nat != true
	site.wan.ipv4 != ""
	measured_public_ip != ""
	measured_public_ip != site.wan.ipv4
}

# The IP part of the measurement's mapped address ("ip:port" or "[ip6]:port").
measured_public_ip := trim_left(split(input.measurement.mapped, "]")[0], "[") if {
	startswith(input.measurement.mapped, "[")
} else := split(input.measurement.mapped, ":")[0]

# --- security review (SEC-*) ---------------------------------------------

dmz_request_text := "The site requests DMZ: the router would forward every incoming request, on every port, to one device; it exposes everything and the field guide calls it a security disaster."

dmz_host_text := sprintf("The router already has %s as DMZ host: every port of that host is exposed to the Internet.", [site.router.dmz_host])

# field guide: DMZ, never, whoever asks.
sec_findings contains finding(
	"SEC-001",
	dmz_request_text,
	"Remove request = \"dmz\": p2pplan never generates a DMZ. Ask for pat, ipv6, vpn or auto_register instead.",
	"request",
) if {
	site.request == "dmz"
}

# field guide: DMZ configured on the router.
sec_findings contains finding(
	"SEC-001",
	dmz_host_text,
	"Remove the DMZ setting from the router and clear router.dmz_host; expose only the services needed (PAT on non-default ports) or use a VPN.",
	"router.dmz_host",
) if {
	site.router.dmz_host != ""
}

# field guide: UPnP, risky: the default port ends up exposed without the customer knowing.
sec_findings contains finding(
	"SEC-002",
	"UPnP is enabled on the router: the device can open port forwards on its own, usually on its default port, without the customer knowing.",
	"Disable UPnP on the router (and on the device); if a service must be reachable, use PAT on a non-default external port, or a VPN.",
	"router.upnp",
) if {
	site.router.upnp == true
}

# field guide: UPnP is never generated, even on request.
sec_findings contains finding(
	"SEC-002",
	"The site requests UPnP: p2pplan never generates UPnP, because the device would open its default port to the Internet without the customer knowing.",
	"Remove request = \"upnp\" and ask for pat (a chosen non-default external port), vpn or auto_register.",
	"request",
) if {
	site.request == "upnp"
}

# field guide: static PAT and fixed IPv6, the external port must differ from
# the device's default port; well-known ports are the first ones scanned.
default_port_exposures contains {
	"field": sprintf("device.%s.service.%s.external_port", [svc.device, svc.name]),
	"text": sprintf("Service %s of device %s (%s port %d) would be exposed on external port %d, %s.", [svc.name, svc.device, svc.protocol, svc.port, svc.external_port, why]),
} if {
	some svc in services
	svc.external_port != 0
	why := exposure_problem(svc)
}

exposure_problem(svc) := "its own default port" if {
	svc.external_port == svc.port
} else := sprintf("the default port of service %s of the same device", [other.name]) if {
	some other in services
	other.device == svc.device
	other.name != svc.name
	other.port == svc.external_port
} else := "a well-known port scanned first" if {
	svc.external_port in well_known_ports
}

sec_findings contains finding(
	"SEC-003",
	e.text,
	"Choose an external port that is neither a default port of the device nor a well-known port, or set external_port = 0 and let p2pplan allocate one.",
	e.field,
) if {
	some e in default_port_exposures
}

# Why a mode is under consideration for this site: it was requested, or it
# comes before the chosen mode in the profile's order (so it was skipped).
# Modes after the chosen one do not matter and raise nothing (no SEC-004
# noise on a site where direct P2P works).
considered(mode) := "requested" if {
	site.request == mode
} else := sprintf("ahead of the chosen mode (%s) in the %s profile's order", [chosen, site.profile]) if {
	some i, m in order
	m == mode
	i < chosen_rank
}

# The chosen mode's place in the profile's order; past the end when the
# chosen mode is not in it (every mode of the order was skipped).
chosen_rank := min(ranks) if {
	ranks := {i | some i, m in order; m == chosen}
	count(ranks) > 0
} else := count(order)

# field guide: static PAT, the public IP must be fixed.
sec_findings contains finding(
	"SEC-004",
	sprintf("PAT is %s but the site has no public IPv4 address (wan.ipv4 is empty), so there is nothing to forward from.", [considered("pat")]),
	"Ask the operator for a fixed public IPv4 address and declare it in wan.ipv4 with ipv4_fixed = true, or use VPN or auto-register.",
	"wan.ipv4",
) if {
	considered("pat")
	site.wan.ipv4 == ""
}

sec_findings contains finding(
	"SEC-004",
	sprintf("PAT is %s but the public IPv4 %s is not fixed (wan.ipv4_fixed = false): a forward to it breaks, or lands on someone else, when the address changes.", [considered("pat"), site.wan.ipv4]),
	"Ask the operator for a fixed public IPv4 address and set wan.ipv4_fixed = true, or use VPN or auto-register.",
	"wan.ipv4_fixed",
) if {
	considered("pat")
	site.wan.ipv4 != ""
	site.wan.ipv4_fixed != true
}

# field guide: fixed IPv6, the address must be fixed.
sec_findings contains finding(
	"SEC-004",
	sprintf("IPv6 exposure is %s but the site declares no IPv6 prefix (wan.ipv6_prefix is empty).", [considered("ipv6")]),
	"Ask the operator for a fixed, native IPv6 prefix and declare it in wan.ipv6_prefix with ipv6_fixed = true, or use another mode.",
	"wan.ipv6_prefix",
) if {
	considered("ipv6")
	site.wan.ipv6_prefix == ""
}

sec_findings contains finding(
	"SEC-004",
	sprintf("IPv6 exposure is %s but the prefix %s is not fixed (wan.ipv6_fixed = false): the devices' public addresses would change.", [considered("ipv6"), site.wan.ipv6_prefix]),
	"Ask the operator for a fixed IPv6 prefix and set wan.ipv6_fixed = true, or use another mode.",
	"wan.ipv6_fixed",
) if {
	considered("ipv6")
	site.wan.ipv6_prefix != ""
	site.wan.ipv6_fixed != true
}

# A source that admits every address (0.0.0.0/0, ::/0 or any /0).
any_sources := [s | some s in as_array(site.clients.sources); endswith(s, "/0")]

# field guide: secured sites; PAT and IPv6 expose the service to anyone who
# knows the address and port.
sec_findings contains finding(
	"SEC-005",
	sprintf("This %s site would expose its services with %s to any source: clients.sources contains %s.", [kind, mode, concat(", ", any_sources)]),
	"List the remote clients' addresses or networks in clients.sources, or use a VPN, the field guide's answer for secured sites.",
	"clients.sources",
) if {
	kind := secured_kind
	some mode in {chosen, site.request}
	mode in {"pat", "ipv6"}
	count(any_sources) > 0
}

secured_kind := "secured" if {
	site.profile == "secured"
} else := "firewall-protected" if {
	site.router.firewall == true
}

# A VPN peer whose allowed routes cover everything.
everything_routes := [r | some r in as_array(site.vpn.routes); endswith(r, "/0")]

# field guide: VPN; a peer that routes everything turns the hub into a path to any network.
sec_findings contains finding(
	"SEC-006",
	sprintf("vpn.routes contains %s: every destination would be routed through the tunnel, so the hub and the site reach far more than the device services.", [concat(", ", everything_routes)]),
	"Limit vpn.routes to the tunnel network and the device addresses the remote clients need.",
	"vpn.routes",
) if {
	site.vpn != null
	count(everything_routes) > 0
}

# --- denials ---------------------------------------------------------------

# SPEC §6: SEC-001 and SEC-003 are denials: the site gets no artifacts.
denial_set contains {"id": "SEC-001", "reason": dmz_request_text, "field": "request"} if site.request == "dmz"

denial_set contains {"id": "SEC-001", "reason": dmz_host_text, "field": "router.dmz_host"} if site.router.dmz_host != ""

denial_set contains {"id": "SEC-003", "reason": e.text, "field": e.field} if some e in default_port_exposures

denials := [x[3] | some x in sort({[d.id, d.field, d.reason, d] | some d in denial_set})]

# --- all findings, sorted by severity rank, id, field ----------------------

findings := [x[3] |
	some x in sort({[rank, f.id, f.field, f] |
		some f in all_findings
		rank := object.get(severity_rank, f.severity, 9)
	})
]

all_findings := p2p_findings | sec_findings

# Known-issue IDs raised for this site, sorted.
known_issues := sort({f.id | some f in p2p_findings; f.id in known_issue_ids})
