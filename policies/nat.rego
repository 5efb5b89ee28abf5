# NAT of both sides and the direct P2P path between them.
# SPEC §4 (NAT vocabulary, measurement) and §5 ("Direct P2P path").
package p2pplan

site := input.site

# The classic NAT names (RFC 3489), in the order of the field guide's table.
classic_nats := ["open", "full_cone", "restricted_cone", "port_restricted_cone", "symmetric", "udp_blocked"]

# Endpoint-independent mapping (RFC 4787 §4.1): no NAT, or any cone.
endpoint_independent := {"open", "full_cone", "restricted_cone", "port_restricted_cone"}

# Sides a symmetric NAT can still reach directly: no NAT, full or restricted cone.
reachable_from_symmetric := {"open", "full_cone", "restricted_cone"}

# SPEC §4: a measurement whose nat is not "inconclusive" wins over the
# declared router.nat; a probe that got no answer at all says udp_blocked.
measured if {
	input.measurement != null
	input.measurement.udp_blocked == true
}

measured if {
	input.measurement != null
	input.measurement.nat in classic_nats
}

default measured := false

# SPEC §4: udp_blocked measured means the site's NAT is "udp_blocked".
site_nat := "udp_blocked" if {
	input.measurement != null
	input.measurement.udp_blocked == true
} else := input.measurement.nat if {
	measured
} else := site.router.nat

# The field that gave the site's NAT, for findings.
site_nat_field := "measurement" if {
	measured
} else := "router.nat"

client_nat := site.clients.nat

# A NAT name outside the vocabulary ("unknown", or anything unexpected) is unknown.
nat_known(nat) if nat in classic_nats

# field guide: direct P2P path, both sides map endpoint-independently.
direct_pair(a, b) if {
	a in endpoint_independent
	b in endpoint_independent
}

# field guide: direct P2P path, symmetric with open, full cone or restricted cone.
direct_pair(a, b) if {
	a == "symmetric"
	b in reachable_from_symmetric
}

direct_pair(a, b) if {
	b == "symmetric"
	a in reachable_from_symmetric
}

# field guide: "blocked" if either side is udp_blocked or the site has a firewall.
path_blocked if site_nat == "udp_blocked"

path_blocked if client_nat == "udp_blocked"

path_blocked if site.router.firewall == true

# Not in the field guide's table: without both NAT types the path cannot be
# decided; P2P-008 asks for a probe.
path_unknown if not nat_known(site_nat)

path_unknown if not nat_known(client_nat)

# field guide: direct P2P path; "relay" otherwise (symmetric with
# port-restricted cone, symmetric with symmetric).
path := "blocked" if {
	path_blocked
} else := "unknown" if {
	path_unknown
} else := "direct" if {
	direct_pair(site_nat, client_nat)
} else := "relay"
