package p2pplan_test

# field guide: direct P2P path, the full matrix of declared NATs
# (rows: site, columns: clients).
path_matrix := {
	"open": {"open": "direct", "full_cone": "direct", "restricted_cone": "direct", "port_restricted_cone": "direct", "symmetric": "direct", "udp_blocked": "blocked"},
	"full_cone": {"open": "direct", "full_cone": "direct", "restricted_cone": "direct", "port_restricted_cone": "direct", "symmetric": "direct", "udp_blocked": "blocked"},
	"restricted_cone": {"open": "direct", "full_cone": "direct", "restricted_cone": "direct", "port_restricted_cone": "direct", "symmetric": "direct", "udp_blocked": "blocked"},
	"port_restricted_cone": {"open": "direct", "full_cone": "direct", "restricted_cone": "direct", "port_restricted_cone": "direct", "symmetric": "relay", "udp_blocked": "blocked"},
	"symmetric": {"open": "direct", "full_cone": "direct", "restricted_cone": "direct", "port_restricted_cone": "relay", "symmetric": "relay", "udp_blocked": "blocked"},
	"udp_blocked": {"open": "blocked", "full_cone": "blocked", "restricted_cone": "blocked", "port_restricted_cone": "blocked", "symmetric": "blocked", "udp_blocked": "blocked"},
}

test_path_matrix_is_complete if {
	count(path_matrix) == 6
	every _, row in path_matrix {
		count(row) == 6
	}
}

test_path_matrix if {
	every s, row in path_matrix {
		every c, want in row {
			decide(with_site({"router": {"nat": s}, "clients": {"nat": c}})).p2p.path == want
		}
	}
}

# The matrix again with a firewall: always blocked.
test_path_matrix_firewall_blocked if {
	every s, row in path_matrix {
		every c, _ in row {
			decide(with_site({"router": {"nat": s, "firewall": true}, "clients": {"nat": c}})).p2p.path == "blocked"
		}
	}
}

test_path_unknown_site if {
	every c in ["open", "full_cone", "restricted_cone", "port_restricted_cone", "symmetric"] {
		decide(with_site({"router": {"nat": "unknown"}, "clients": {"nat": c}})).p2p.path == "unknown"
	}
}

test_path_unknown_client if {
	every s in ["open", "full_cone", "restricted_cone", "port_restricted_cone", "symmetric"] {
		decide(with_site({"router": {"nat": s}, "clients": {"nat": "unknown"}})).p2p.path == "unknown"
	}
}

test_path_unknown_both if {
	decide(with_site({"router": {"nat": "unknown"}, "clients": {"nat": "unknown"}})).p2p.path == "unknown"
}

test_path_blocked_wins_over_unknown if {
	decide(with_site({"router": {"nat": "unknown"}, "clients": {"nat": "udp_blocked"}})).p2p.path == "blocked"
	decide(with_site({"router": {"nat": "udp_blocked"}, "clients": {"nat": "unknown"}})).p2p.path == "blocked"
	decide(with_site({"router": {"nat": "unknown", "firewall": true}})).p2p.path == "blocked"
}

test_unexpected_nat_name_is_unknown if {
	decide(with_site({"router": {"nat": "carrier_grade"}})).p2p.path == "unknown"
}

test_base_p2p_block if {
	decide(base).p2p == {"path": "direct", "site_nat": "port_restricted_cone", "client_nat": "full_cone", "measured": false}
}

# SPEC §4: a measurement wins over the declared router.nat.
test_measurement_wins if {
	d := decide(with_meas({"router": {"nat": "full_cone"}, "clients": {"nat": "symmetric"}}, {"nat": "symmetric", "mapping": "address_dependent"}))
	d.p2p == {"path": "relay", "site_nat": "symmetric", "client_nat": "symmetric", "measured": true}
}

# SPEC §4: an inconclusive measurement leaves the declared value standing.
test_measurement_inconclusive if {
	d := decide(with_meas({"router": {"nat": "full_cone"}}, {"nat": "inconclusive", "mapping": "inconclusive"}))
	d.p2p == {"path": "direct", "site_nat": "full_cone", "client_nat": "full_cone", "measured": false}
	not "P2P-010" in ids(with_meas({"router": {"nat": "full_cone"}}, {"nat": "inconclusive"}))
}

# SPEC §4: a probe with no answer at all says udp_blocked.
test_measurement_udp_blocked if {
	inp := with_meas({}, {"nat": "inconclusive", "udp_blocked": true, "mapping": "inconclusive", "filtering": "inconclusive"})
	d := decide(inp)
	d.p2p == {"path": "blocked", "site_nat": "udp_blocked", "client_nat": "full_cone", "measured": true}
	has(inp, "P2P-006", "measurement")
	contains(get(inp, "P2P-006", "measurement").detail, "measured by p2pplan probe")
}

test_measurement_equal_to_declared if {
	inp := with_meas({"router": {"nat": "full_cone"}}, {})
	decide(inp).p2p.measured
	not "P2P-010" in ids(inp)
}
