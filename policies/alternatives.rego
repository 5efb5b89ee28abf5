# The alternatives of SPEC §5, each with its hard preconditions and the
# profiles it is recommended for. Reasons are full sentences in a fixed
# order: every check is a [check number, item index, sentence] triple and
# the sentences are read back sorted.
package p2pplan

# The eight modes, in the order of the output contract.
modes := ["p2p", "vpn", "auto_register", "ipv6", "pat", "extra_router", "dmz", "upnp"]

# field guide: DMZ is never generated, UPnP is never generated.
never_modes := {"dmz", "upnp"}

ordered(s) := [x[2] | some x in sort(s)]

# --- p2p ---------------------------------------------------------------------

# field guide: P2P needs a direct path.
p2p_fail contains [1, 0, sprintf("The path between the site (%s) and its clients (%s) is %s, not direct.", [site_nat, client_nat, path])] if {
	path != "direct"
}

# field guide: known issues are checked first; any of them rules P2P out.
p2p_fail contains [2, 0, sprintf("Known issues apply: %s.", [concat(", ", known_issues)])] if {
	count(known_issues) > 0
}

# field guide: direct P2P path and no known issue: the vendor's P2P should work.
p2p_ok contains [1, 0, sprintf("The site (%s) and its clients (%s) can connect directly and no known issue applies: the vendor's P2P service should work.", [site_nat, client_nat])]

# SPEC §5: direct P2P is chosen only for home and small business sites.
p2p_ok contains [2, 0, sprintf("Direct P2P is only chosen for the profiles %s; this site's profile is %s.", [concat(", ", p2p_profiles), site.profile])] if {
	not site.profile in p2p_profiles
}

p2p_profiles := object.get(recommended_profiles, "p2p", [])

# --- vpn -------------------------------------------------------------------

# field guide: VPN, WireGuard runs over UDP only, so outbound UDP must work.
vpn_fail contains [1, 0, "UDP is blocked at the site and WireGuard runs over UDP only, so the site cannot dial out to a hub."] if {
	site_nat == "udp_blocked"
}

# field guide: VPN, safe and reliable, but it costs something.
vpn_ok contains [1, 0, "Outbound UDP works at the site, so it can dial out to a WireGuard hub: safe and reliable, but it costs something (a router that does VPN, or the operator's VPN service)."] if {
	nat_known(site_nat)
}

vpn_ok contains [1, 0, "The site dials out to a WireGuard hub: safe and reliable, but it costs something (a router that does VPN, or the operator's VPN service); outbound UDP has not been measured yet, run p2pplan probe to confirm it works."] if {
	not nat_known(site_nat)
}

vpn_ok contains [2, 0, sprintf("The plan still needs %s before the WireGuard configuration can be generated.", [concat(", ", vpn_missing)])] if {
	count(vpn_missing) > 0
}

# field guide: VPN needs a hub, declared or listed as missing.
vpn_missing := [sprintf("vpn.%s", [k]) |
	some k in ["hub", "hub_public_key", "tunnel", "address"]
	vpn_value_missing(k)
]

vpn_value_missing(_) if site.vpn == null

vpn_value_missing(k) if object.get(site.vpn, k, "") == ""

# --- auto_register -----------------------------------------------------------

# field guide: auto-register, the platform address must be known.
auto_register_fail contains [1, 0, "auto_register.platform is not set: the platform address the device should dial is not known."] if {
	"auto_register.platform" in auto_register_missing
}

auto_register_fail contains [2, 0, "auto_register.port is not set: the device needs the platform's port to dial."] if {
	"auto_register.port" in auto_register_missing
}

# field guide: auto-register, the only exposed port is on the provider's side.
auto_register_ok contains [1, 0, sprintf("The device dials the platform %s (port %d) itself over TCP: the only exposed port is on the service provider's side, where security can be controlled.", [site.auto_register.platform, site.auto_register.port])]

auto_register_missing := [m |
	some m in ["auto_register.platform", "auto_register.port"]
	auto_register_value_missing(m)
]

auto_register_value_missing(_) if site.auto_register == null

auto_register_value_missing("auto_register.platform") if object.get(site.auto_register, "platform", "") == ""

auto_register_value_missing("auto_register.port") if object.get(site.auto_register, "port", 0) == 0

# --- ipv6 ----------------------------------------------------------------------

# field guide: fixed IPv6, native fixed prefix.
ipv6_fail contains [1, 0, "The site declares no IPv6 prefix (wan.ipv6_prefix is empty)."] if {
	site.wan.ipv6_prefix == ""
}

# field guide: fixed IPv6, the address must be fixed.
ipv6_fail contains [2, 0, sprintf("The IPv6 prefix %s is not fixed (wan.ipv6_fixed = false): the devices' public addresses would change.", [site.wan.ipv6_prefix])] if {
	site.wan.ipv6_prefix != ""
	site.wan.ipv6_fixed != true
}

# field guide: fixed IPv6, the device has a fixed IPv6 address.
ipv6_fail contains [3, i, sprintf("Device %s has services but no IPv6 address.", [d.name])] if {
	some i, d in site.devices
	count(as_array(d.services)) > 0
	d.ipv6 == ""
}

ipv6_fail contains [3, i, sprintf("Device %s's IPv6 address %s is not inside the site's prefix %s.", [d.name, d.ipv6, site.wan.ipv6_prefix])] if {
	site.wan.ipv6_prefix != ""
	some i, d in site.devices
	count(as_array(d.services)) > 0
	d.ipv6 != ""
	not net.cidr_contains(site.wan.ipv6_prefix, d.ipv6)
}

# SPEC §8: external ports are unique per public address and protocol; with
# IPv6 each device has its own public address.
ipv6_fail contains [5, port, sprintf("External port %d/%s is asked for by more than one service of device %s (%s).", [port, proto, svc.device, concat(", ", names)])] if {
	some svc in services
	svc.external_port != 0
	port := svc.external_port
	proto := svc.protocol
	names := sort({s.name | some s in services; s.device == svc.device; s.external_port == port; s.protocol == proto})
	count(names) > 1
}

# field guide: fixed IPv6, for networks IPv6-native on both sides.
ipv6_fail contains [4, 0, "The remote clients do not have IPv6 (clients.ipv6 = false)."] if {
	site.clients.ipv6 != true
}

# SPEC §8: forward accept only from the allowed sources; with no IPv6
# source the exposure would reach nobody (and a router format without a
# source field would read as anybody), so the mode does not apply.
ipv6_fail contains [6, 0, "No client source is an IPv6 network (clients.sources): the exposure would reach nobody."] if {
	count(source_family("ipv6")) == 0
}

# field guide: fixed IPv6, anyone who knows address and port can reach the device.
ipv6_ok contains [1, 0, sprintf("The devices have fixed IPv6 addresses inside %s and the clients have IPv6; anyone who knows an address and port can reach the device, so the external port differs from the default one and sources are filtered.", [site.wan.ipv6_prefix])]

# field guide: fixed IPv6 is for networks that are IPv6-native on both sides.
ipv6_native_both if {
	site.wan.ipv6_prefix != ""
	site.wan.ipv6_fixed == true
	site.clients.ipv6 == true
}

# --- pat -----------------------------------------------------------------------

# Address ranges that are not a public IPv4 of the site's own.
non_public_ipv4 := ["10.0.0.0/8", "100.64.0.0/10", "172.16.0.0/12", "192.168.0.0/16"]

# field guide: static PAT, a public IPv4 of its own.
pat_fail contains [1, 0, "The site has no public IPv4 address (wan.ipv4 is empty)."] if {
	site.wan.ipv4 == ""
}

# SPEC §8: forward accept only from the allowed sources (see ipv6 above).
pat_fail contains [10, 0, "No client source is an IPv4 network (clients.sources): the exposure would reach nobody."] if {
	count(source_family("ipv4")) == 0
}

# field guide: static PAT forwards to the device's own address.
pat_fail contains [11, i, sprintf("Device %s has services but no IPv4 address.", [d.name])] if {
	some i, d in site.devices
	count(as_array(d.services)) > 0
	d.ipv4 == ""
}

# The client sources of one address family.
source_family(family) := {src |
	some src in as_array(site.clients.sources)
	family_of(src) == family
}

family_of(cidr) := "ipv6" if contains(cidr, ":")

else := "ipv4"

# field guide: static PAT, the public IP must be fixed.
pat_fail contains [2, 0, sprintf("The public IPv4 %s is not fixed (wan.ipv4_fixed = false).", [site.wan.ipv4])] if {
	site.wan.ipv4 != ""
	site.wan.ipv4_fixed != true
}

pat_fail contains [3, 0, sprintf("wan.ipv4 %s is not a public address of the site's own (it lies in %s).", [site.wan.ipv4, cidr])] if {
	site.wan.ipv4 != ""
	some cidr in non_public_ipv4
	net.cidr_contains(cidr, site.wan.ipv4)
}

# field guide: static PAT, no operator NAT.
pat_fail contains [4, 0, "The operator NATs the site (wan.operator_nat = true): it has no public IPv4 of its own to forward from."] if {
	site.wan.operator_nat == true
}

pat_fail contains [5, 0, sprintf("The measurement found operator NAT (%s): the site has no public IPv4 of its own to forward from.", [operator_nat_evidence])] if {
	measured_operator_nat
}

# field guide: static PAT, no operator restriction.
pat_fail contains [6, 0, "The operator restricts NAT on this line (wan.operator_restrictions = true)."] if {
	site.wan.operator_restrictions == true
}

# field guide: static PAT, with port sharing only inside the assigned range.
pat_fail contains [7, 0, sprintf("The assigned port range %d-%d has %d usable external ports (neither well-known nor a service's default port) for %d services.", [r.from, r.to, shared_usable_ports, count(services)])] if {
	r := site.wan.shared_ipv4_ports
	r != null
	shared_usable_ports < count(services)
}

pat_fail contains [8, i, sprintf("Service %s of device %s asks for external port %d, outside the assigned range %d-%d.", [svc.name, svc.device, svc.external_port, r.from, r.to])] if {
	r := site.wan.shared_ipv4_ports
	r != null
	some i, svc in services
	svc.external_port != 0
	not in_range(svc.external_port, r)

	# SEC-003 already denies this port; the decision shows what would be
	# chosen once it is removed (then p2pplan allocates one in the range).
	not exposure_problem(svc)
}

# SPEC §8: external ports are unique per public address and protocol; with
# PAT every service shares the site's one public IPv4.
pat_fail contains [9, port, sprintf("External port %d/%s is asked for by more than one service (%s).", [port, proto, concat(", ", names)])] if {
	some svc in services
	svc.external_port != 0
	port := svc.external_port
	proto := svc.protocol
	names := sort({sprintf("%s/%s", [s.device, s.name]) | some s in services; s.external_port == port; s.protocol == proto})
	count(names) > 1
}

in_range(port, r) if {
	r.from <= port
	port <= r.to
}

# Ports of the shared range p2pplan may allocate: not well-known, not a
# service's default port.
shared_usable_ports := ((r.to - r.from) + 1) - count({p |
	some p in array.concat(well_known_ports, [s.port | some s in services])
	in_range(p, r)
}) if {
	r := site.wan.shared_ipv4_ports
}

# field guide: static PAT, one chosen port always forwarded to the same device and port.
pat_ok contains [1, 0, sprintf("The site has a fixed public IPv4 %s of its own: the router always forwards one chosen non-default external port to each service; anyone who knows the port can reach the device, so sources are filtered.", [site.wan.ipv4])]

pat_ok contains [2, 0, sprintf("External ports are allocated inside the assigned range %d-%d.", [r.from, r.to])] if {
	r := site.wan.shared_ipv4_ports
	r != null
}

# --- extra_router, dmz, upnp -------------------------------------------------------

# field guide: additional router, always possible, costly.
extra_router_ok contains [1, 0, "A separate ADSL or fibre line with its own router and no link to the existing network always works, but it costs a second line and equipment; it is for complex, managed sites where nothing else fits."]

# field guide: DMZ, never: it exposes every port.
dmz_fail contains [1, 0, "DMZ forwards every incoming request, on every port, to one device: it exposes everything and the field guide calls it a security disaster. p2pplan never generates it."]

# field guide: UPnP, never generated: risky.
upnp_fail contains [1, 0, "UPnP lets the device open port forwards on its own, so its default port ends up exposed without the customer knowing; p2pplan never generates it."]

# --- assembling ------------------------------------------------------------------

failures := {
	"p2p": ordered(p2p_fail),
	"vpn": ordered(vpn_fail),
	"auto_register": ordered(auto_register_fail),
	"ipv6": ordered(ipv6_fail),
	"pat": ordered(pat_fail),
	"extra_router": [],
	"dmz": ordered(dmz_fail),
	"upnp": ordered(upnp_fail),
}

positives := {
	"p2p": ordered(p2p_ok),
	"vpn": ordered(vpn_ok),
	"auto_register": ordered(auto_register_ok),
	"ipv6": ordered(ipv6_ok),
	"pat": ordered(pat_ok),
	"extra_router": ordered(extra_router_ok),
	"dmz": [],
	"upnp": [],
}

missing := {
	"vpn": vpn_missing,
	"auto_register": auto_register_missing,
}

default applicable(_) := false

applicable(mode) if count(failures[mode]) == 0

# SPEC §5 "recommended for", read from data; DMZ and UPnP never are.
default recommended(_) := false

recommended(mode) if {
	not mode in never_modes
	mode != "ipv6"
	site.profile in object.get(recommended_profiles, mode, [])
}

# field guide: VPN, the answer for any firewall-protected site.
recommended("vpn") if site.router.firewall == true

# field guide: fixed IPv6, for sites IPv6-native on both sides.
recommended("ipv6") if {
	site.profile in object.get(recommended_profiles, "ipv6", [])
	ipv6_native_both
}

reasons(mode) := failures[mode] if {
	count(failures[mode]) > 0
} else := positives[mode]

alternatives := [{
	"mode": mode,
	"applicable": applicable(mode),
	"recommended": recommended(mode),
	"reasons": reasons(mode),
	"missing": object.get(missing, mode, []),
} |
	some mode in modes
]
