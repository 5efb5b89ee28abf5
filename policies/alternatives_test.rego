package p2pplan_test

test_alternatives_all_eight_in_order if {
	[a.mode | some a in decide(base).alternatives] == ["p2p", "vpn", "auto_register", "ipv6", "pat", "extra_router", "dmz", "upnp"]
	every a in decide(base).alternatives {
		count(a.reasons) > 0
		is_array(a.missing)
		is_boolean(a.applicable)
		is_boolean(a.recommended)
	}
}

# --- p2p -------------------------------------------------------------------

test_p2p_applicable_when_direct_without_issue if {
	a := alt(base, "p2p")
	a.applicable
	a.recommended
	contains(a.reasons[0], "can connect directly")
	count(a.reasons) == 1
}

test_p2p_not_applicable_on_relay if {
	inp := with_site({"router": {"nat": "symmetric"}, "clients": {"nat": "symmetric"}})
	a := alt(inp, "p2p")
	not a.applicable
	a.reasons == [
		"The path between the site (symmetric) and its clients (symmetric) is relay, not direct.",
		"Known issues apply: P2P-004, P2P-007.",
	]
}

# field guide: any known issue rules P2P out, even with a direct path.
test_p2p_not_applicable_with_known_issue if {
	every patch in [
		{"router": {"firewall": true}},
		{"wan": {"operator_nat": true}},
		{"wan": {"shared_ipv4_ports": {"from": 16384, "to": 32767}}},
		{"router": {"nat": "symmetric"}},
		{"wan": {"operator_restrictions": true}},
		{"clients": {"nat": "udp_blocked"}},
		{"router": {"nat": "unknown"}},
		{"online": false},
	] {
		not alt(with_site(patch), "p2p").applicable
	}
}

test_p2p_known_issue_reason if {
	alt(with_site({"online": false}), "p2p").reasons == ["Known issues apply: P2P-009."]
}

# Non-known-issue findings (UPnP, conflict) do not rule P2P out.
test_p2p_applicable_with_other_findings if {
	inp := with_meas({"router": {"upnp": true, "nat": "full_cone"}}, {"nat": "restricted_cone"})
	alt(inp, "p2p").applicable
	decide(inp).chosen == "p2p"
}

test_p2p_not_recommended_for_secured if {
	a := alt(with_site({"profile": "secured"}), "p2p")
	a.applicable
	not a.recommended
	contains(a.reasons[1], "only chosen for the profiles home, small_business; this site's profile is secured")
}

# --- vpn -----------------------------------------------------------------------

test_vpn_missing_everything_without_block if {
	a := alt(base, "vpn")
	a.applicable
	a.missing == ["vpn.hub", "vpn.hub_public_key", "vpn.tunnel", "vpn.address"]
	a.reasons[1] == "The plan still needs vpn.hub, vpn.hub_public_key, vpn.tunnel, vpn.address before the WireGuard configuration can be generated."
}

test_vpn_complete if {
	a := alt(with_site({"vpn": vpn_full}), "vpn")
	a.applicable
	a.missing == []
	count(a.reasons) == 1
	contains(a.reasons[0], "Outbound UDP works")
}

test_vpn_partly_missing if {
	alt(with_site({"vpn": object.union(vpn_full, {"hub_public_key": "", "address": ""})}), "vpn").missing == ["vpn.hub_public_key", "vpn.address"]
}

# field guide: VPN, WireGuard is UDP only.
test_vpn_not_applicable_when_udp_blocked if {
	a := alt(with_site({"router": {"nat": "udp_blocked"}, "vpn": vpn_full}), "vpn")
	not a.applicable
	contains(a.reasons[0], "WireGuard runs over UDP only")
	b := alt(with_meas({}, {"udp_blocked": true, "nat": "inconclusive"}), "vpn")
	not b.applicable
}

test_vpn_udp_not_measured if {
	a := alt(with_site({"router": {"nat": "unknown"}}), "vpn")
	a.applicable
	contains(a.reasons[0], "not been measured")
}

test_vpn_recommended if {
	not alt(base, "vpn").recommended
	alt(with_site({"profile": "secured"}), "vpn").recommended
	alt(with_site({"router": {"firewall": true}}), "vpn").recommended
}

# --- auto_register -----------------------------------------------------------------

test_auto_register_without_block if {
	a := alt(base, "auto_register")
	not a.applicable
	a.missing == ["auto_register.platform", "auto_register.port"]
	count(a.reasons) == 2
}

test_auto_register_without_port if {
	a := alt(with_site({"auto_register": {"platform": "203.0.113.50", "port": 0}}), "auto_register")
	not a.applicable
	a.missing == ["auto_register.port"]
	a.reasons == ["auto_register.port is not set: the device needs the platform's port to dial."]
}

test_auto_register_without_platform if {
	a := alt(with_site({"auto_register": {"platform": "", "port": 7000}}), "auto_register")
	not a.applicable
	a.missing == ["auto_register.platform"]
}

test_auto_register_applicable if {
	a := alt(with_site({"auto_register": {"platform": "203.0.113.50", "port": 7000}}), "auto_register")
	a.applicable
	a.missing == []
	contains(a.reasons[0], "203.0.113.50 (port 7000)")
}

test_auto_register_recommended if {
	not alt(base, "auto_register").recommended
	alt(with_site({"profile": "monitoring_center"}), "auto_register").recommended
	alt(with_site({"profile": "video_provider"}), "auto_register").recommended
}

# --- ipv6 ---------------------------------------------------------------------------

test_ipv6_applicable if {
	a := alt(base, "ipv6")
	a.applicable
	a.recommended
	contains(a.reasons[0], "2001:db8:20::/56")
}

test_ipv6_no_prefix if {
	a := alt(with_site({"wan": {"ipv6_prefix": ""}}), "ipv6")
	not a.applicable
	not a.recommended
	a.reasons == ["The site declares no IPv6 prefix (wan.ipv6_prefix is empty)."]
}

test_ipv6_prefix_not_fixed if {
	a := alt(with_site({"wan": {"ipv6_fixed": false}}), "ipv6")
	not a.applicable
	contains(a.reasons[0], "not fixed")
}

test_ipv6_device_without_address if {
	inp := with_site({"devices": [
		{"name": "cam1", "description": "", "ipv4": "192.168.1.20", "ipv6": "", "services": [{"name": "rtsp", "protocol": "tcp", "port": 554, "external_port": 0}]},
		{"name": "cam2", "description": "", "ipv4": "192.168.1.21", "ipv6": "2001:db8:99::21", "services": [{"name": "rtsp", "protocol": "tcp", "port": 554, "external_port": 0}]},
	]})
	a := alt(inp, "ipv6")
	not a.applicable
	a.reasons == [
		"Device cam1 has services but no IPv6 address.",
		"Device cam2's IPv6 address 2001:db8:99::21 is not inside the site's prefix 2001:db8:20::/56.",
	]
}

test_ipv6_clients_without_ipv6 if {
	a := alt(with_site({"clients": {"ipv6": false}}), "ipv6")
	not a.applicable
	not a.recommended
	a.reasons == ["The remote clients do not have IPv6 (clients.ipv6 = false)."]
}

test_ipv6_not_recommended_for_secured if {
	not alt(with_site({"profile": "secured"}), "ipv6").recommended
}

# --- pat ------------------------------------------------------------------------------

test_pat_applicable if {
	a := alt(base, "pat")
	a.applicable
	a.recommended
	a.missing == []
	count(a.reasons) == 1
	contains(a.reasons[0], "198.51.100.23")
}

test_pat_no_ipv4 if {
	alt(with_site({"wan": {"ipv4": ""}}), "pat").reasons == ["The site has no public IPv4 address (wan.ipv4 is empty)."]
}

test_pat_ipv4_not_fixed if {
	a := alt(with_site({"wan": {"ipv4_fixed": false}}), "pat")
	not a.applicable
	a.reasons == ["The public IPv4 198.51.100.23 is not fixed (wan.ipv4_fixed = false)."]
}

test_pat_ipv4_not_public if {
	a := alt(with_site({"wan": {"ipv4": "100.64.7.8"}}), "pat")
	not a.applicable
	contains(a.reasons[0], "100.64.0.0/10")
}

test_pat_operator_nat_declared if {
	a := alt(with_site({"wan": {"operator_nat": true}}), "pat")
	not a.applicable
	contains(a.reasons[0], "wan.operator_nat = true")
}

test_pat_operator_nat_measured if {
	a := alt(with_meas({}, {"nat": "port_restricted_cone", "operator_nat": true, "operator_nat_evidence": ["mapped 100.64.0.9"]}), "pat")
	not a.applicable
	contains(a.reasons[0], "mapped 100.64.0.9")
}

test_pat_operator_restrictions if {
	not alt(with_site({"wan": {"operator_restrictions": true}}), "pat").applicable
}

test_pat_reasons_in_fixed_order if {
	a := alt(with_site({"wan": {"ipv4_fixed": false, "operator_nat": true, "operator_restrictions": true}}), "pat")
	count(a.reasons) == 3
	contains(a.reasons[0], "not fixed")
	contains(a.reasons[1], "operator NATs")
	contains(a.reasons[2], "restricts NAT")
}

# field guide: static PAT with port sharing only inside the assigned range.
test_pat_shared_range_fits if {
	a := alt(with_site({"wan": {"shared_ipv4_ports": {"from": 16384, "to": 32767}}}), "pat")
	a.applicable
	a.reasons[1] == "External ports are allocated inside the assigned range 16384-32767."
}

test_pat_shared_range_too_small if {
	a := alt(with_site({"wan": {"shared_ipv4_ports": {"from": 40000, "to": 40000}}}), "pat")
	not a.applicable
	a.reasons == ["The assigned port range 40000-40000 has 1 usable external ports (neither well-known nor a service's default port) for 2 services."]
}

# Well-known and default ports inside the range do not count.
test_pat_shared_range_without_usable_ports if {
	a := alt(with_site({"wan": {"shared_ipv4_ports": {"from": 37777, "to": 37778}}}), "pat")
	not a.applicable
	contains(a.reasons[0], "has 0 usable external ports")
}

test_pat_external_port_outside_range if {
	inp := with_site({
		"wan": {"shared_ipv4_ports": {"from": 16384, "to": 32767}},
		"devices": [{"name": "nvr", "description": "", "ipv4": "192.168.1.108", "ipv6": "", "services": [{"name": "main", "protocol": "tcp", "port": 37777, "external_port": 47777}]}],
	})
	a := alt(inp, "pat")
	not a.applicable
	a.reasons == ["Service main of device nvr asks for external port 47777, outside the assigned range 16384-32767."]
}

# A denied external port (SEC-003) is not also a PAT precondition failure:
# the decision shows what would be chosen once the denied setting is removed.
test_pat_denied_port_outside_range_not_counted_twice if {
	inp := with_site({
		"wan": {"shared_ipv4_ports": {"from": 16384, "to": 32767}},
		"devices": [{"name": "nvr", "description": "", "ipv4": "192.168.1.108", "ipv6": "", "services": [{"name": "rtsp", "protocol": "tcp", "port": 554, "external_port": 554}]}],
	})
	alt(inp, "pat").applicable
	denied(inp, "SEC-003", "device.nvr.service.rtsp.external_port")
}

test_pat_not_recommended_for_managed if {
	not alt(with_site({"profile": "managed"}), "pat").recommended
}

# --- extra_router, dmz, upnp -----------------------------------------------------------

test_extra_router_always_applicable if {
	every patch in [{}, {"router": {"nat": "udp_blocked", "firewall": true}}, {"wan": {"ipv4": "", "ipv6_prefix": ""}}] {
		alt(with_site(patch), "extra_router").applicable
	}
	contains(alt(base, "extra_router").reasons[0], "costs")
	alt(with_site({"profile": "managed"}), "extra_router").recommended
}

test_dmz_never_applicable if {
	every patch in [{}, {"request": "dmz"}, {"profile": "managed"}] {
		a := alt(with_site(patch), "dmz")
		not a.applicable
		not a.recommended
		contains(a.reasons[0], "security disaster")
	}
}

test_upnp_never_applicable if {
	every patch in [{}, {"request": "upnp"}, {"router": {"upnp": true}}] {
		a := alt(with_site(patch), "upnp")
		not a.applicable
		not a.recommended
		contains(a.reasons[0], "never generates it")
	}
}

# Even if an operator's data recommends DMZ or UPnP, they are not recommended.
test_dmz_upnp_never_recommended_from_data if {
	a := alt(base, "dmz") with data.p2pplan.config.recommended as {"dmz": ["home"], "upnp": ["home"]}
	not a.recommended
	b := alt(base, "upnp") with data.p2pplan.config.recommended as {"dmz": ["home"], "upnp": ["home"]}
	not b.recommended
}

# SPEC §8: external ports unique per public address and protocol.
test_duplicate_external_ports if {
	inp := with_site({"devices": [
		{"name": "cam1", "description": "", "ipv4": "192.168.1.20", "ipv6": "2001:db8:20::20", "services": [
			{"name": "rtsp", "protocol": "tcp", "port": 554, "external_port": 40554},
			{"name": "web", "protocol": "tcp", "port": 8443, "external_port": 40554},
			{"name": "sip", "protocol": "udp", "port": 5060, "external_port": 40554},
		]},
		{"name": "cam2", "description": "", "ipv4": "192.168.1.21", "ipv6": "2001:db8:20::21", "services": [{"name": "rtsp", "protocol": "tcp", "port": 554, "external_port": 40554}]},
	]})
	alt(inp, "pat").reasons == ["External port 40554/tcp is asked for by more than one service (cam1/rtsp, cam1/web, cam2/rtsp)."]
	alt(inp, "ipv6").reasons == ["External port 40554/tcp is asked for by more than one service of device cam1 (rtsp, web)."]
}

# The same external port on two devices is fine over IPv6 (one address each).
test_same_external_port_on_two_devices_ipv6 if {
	inp := with_site({"devices": [
		{"name": "cam1", "description": "", "ipv4": "192.168.1.20", "ipv6": "2001:db8:20::20", "services": [{"name": "rtsp", "protocol": "tcp", "port": 554, "external_port": 40554}]},
		{"name": "cam2", "description": "", "ipv4": "192.168.1.21", "ipv6": "2001:db8:20::21", "services": [{"name": "rtsp", "protocol": "tcp", "port": 554, "external_port": 40554}]},
	]})
	alt(inp, "ipv6").applicable
	not alt(inp, "pat").applicable
}

test_pat_needs_an_ipv4_source if {
	inp := with_site({"clients": {"sources": ["2001:db8:ff::/48"]}})
	a := alt(inp, "pat")
	not a.applicable
	some r in a.reasons
	contains(r, "No client source is an IPv4 network")
}

test_ipv6_needs_an_ipv6_source if {
	inp := with_site({"clients": {"sources": ["203.0.113.0/24"]}})
	a := alt(inp, "ipv6")
	not a.applicable
	some r in a.reasons
	contains(r, "No client source is an IPv6 network")
}

test_pat_needs_device_ipv4 if {
	inp := object.union(base, {"site": object.union(base.site, {"devices": [{"name": "cam", "description": "", "ipv4": "", "ipv6": "2001:db8:20::5", "services": [{"name": "main", "protocol": "tcp", "port": 37777, "external_port": 0}]}]})})
	a := alt(inp, "pat")
	not a.applicable
	some r in a.reasons
	contains(r, "Device cam has services but no IPv4 address")
}
