package p2pplan_test

test_base_has_no_finding if {
	d := decide(base)
	d.findings == []
	d.denials == []
}

# field guide: known issue 1, firewall or secured router.
test_p2p001_firewall if {
	inp := with_site({"router": {"firewall": true}})
	has(inp, "P2P-001", "router.firewall")
	f := get(inp, "P2P-001", "router.firewall")
	f.severity == "high"
	f.title == data.p2pplan.config.findings["P2P-001"].title
	contains(f.detail, "t-site")
	f.remediation != ""
	not "P2P-001" in ids(base)
}

# field guide: known issue 2, operator NAT declared.
test_p2p002_declared if {
	inp := with_site({"wan": {"operator_nat": true}})
	has(inp, "P2P-002", "wan.operator_nat")
	not contains(get(inp, "P2P-002", "wan.operator_nat").detail, "measurement agrees")
	not "P2P-002" in ids(base)
}

# field guide: known issue 2, operator NAT measured: the detail cites the evidence.
test_p2p002_measured if {
	inp := with_meas({}, {"operator_nat": true, "operator_nat_evidence": ["mapped address 100.64.3.4 is in 100.64.0.0/10"]})
	has(inp, "P2P-002", "measurement")
	contains(get(inp, "P2P-002", "measurement").detail, "100.64.3.4 is in 100.64.0.0/10")
	not has(inp, "P2P-002", "wan.operator_nat")
}

test_p2p002_measured_without_evidence if {
	inp := with_meas({}, {"operator_nat": true, "operator_nat_evidence": null})
	contains(get(inp, "P2P-002", "measurement").detail, "no evidence recorded")
}

test_p2p002_declared_and_measured_is_one_finding if {
	inp := with_meas({"wan": {"operator_nat": true}}, {"nat": "port_restricted_cone", "operator_nat": true, "operator_nat_evidence": ["two mapped addresses"]})
	contains(get(inp, "P2P-002", "wan.operator_nat").detail, "The measurement agrees (two mapped addresses)")
	count([f | some f in decide(inp).findings; f.id == "P2P-002"]) == 1
	not "P2P-010" in ids(inp)
}

# field guide: known issue 3, shared IPv4 with port sharing.
test_p2p003_shared_ipv4 if {
	inp := with_site({"wan": {"shared_ipv4_ports": {"from": 16384, "to": 32767}}})
	f := get(inp, "P2P-003", "wan.shared_ipv4_ports")
	f.severity == "medium"
	contains(f.detail, "198.51.100.23")
	contains(f.detail, "16384-32767")
	not "P2P-003" in ids(base)
}

test_p2p003_without_ipv4 if {
	inp := with_site({"wan": {"ipv4": "", "shared_ipv4_ports": {"from": 1024, "to": 2047}}})
	contains(get(inp, "P2P-003", "wan.shared_ipv4_ports").detail, "IPv4 address is shared")
}

# field guide: known issue 4, symmetric NAT on the router.
test_p2p004_symmetric_declared if {
	inp := with_site({"router": {"nat": "symmetric"}})
	contains(get(inp, "P2P-004", "router.nat").detail, "declared in router.nat")
	not "P2P-004" in ids(base)
	not "P2P-004" in ids(with_site({"clients": {"nat": "symmetric"}}))
}

test_p2p004_symmetric_measured if {
	inp := with_meas({}, {"nat": "symmetric", "mapping": "address_and_port_dependent"})
	contains(get(inp, "P2P-004", "measurement").detail, "measured by p2pplan probe")
	not has(inp, "P2P-004", "router.nat")
}

# field guide: known issue 5, operator restrictions.
test_p2p005_operator_restrictions if {
	has(with_site({"wan": {"operator_restrictions": true}}), "P2P-005", "wan.operator_restrictions")
	not "P2P-005" in ids(base)
}

# field guide: known issue 6, UDP blocked on either side.
test_p2p006_site if {
	inp := with_site({"router": {"nat": "udp_blocked"}})
	has(inp, "P2P-006", "router.nat")
	not has(inp, "P2P-006", "clients.nat")
	not "P2P-006" in ids(base)
}

test_p2p006_client if {
	inp := with_site({"clients": {"nat": "udp_blocked"}})
	has(inp, "P2P-006", "clients.nat")
	not has(inp, "P2P-006", "router.nat")
}

test_p2p006_both_sides if {
	inp := with_site({"router": {"nat": "udp_blocked"}, "clients": {"nat": "udp_blocked"}})
	count([f | some f in decide(inp).findings; f.id == "P2P-006"]) == 2
}

# field guide: known issue 7, no direct path.
test_p2p007_relay if {
	inp := with_site({"router": {"nat": "symmetric"}, "clients": {"nat": "port_restricted_cone"}})
	f := get(inp, "P2P-007", "router.nat")
	contains(f.detail, "symmetric")
	contains(f.detail, "port_restricted_cone")
	not "P2P-007" in ids(base)
	not "P2P-007" in ids(with_site({"router": {"nat": "symmetric"}, "clients": {"nat": "restricted_cone"}}))
}

test_p2p007_relay_measured_field if {
	has(with_meas({"clients": {"nat": "symmetric"}}, {"nat": "symmetric"}), "P2P-007", "measurement")
}

# field guide: known issue 8, NAT unknown: one finding per side.
test_p2p008_site if {
	inp := with_site({"router": {"nat": "unknown"}})
	f := get(inp, "P2P-008", "router.nat")
	f.severity == "low"
	not contains(f.detail, "inconclusive")
	contains(f.remediation, "p2pplan probe")
	not has(inp, "P2P-008", "clients.nat")
	not "P2P-008" in ids(base)
}

test_p2p008_site_inconclusive_measurement if {
	inp := with_meas({"router": {"nat": "unknown"}}, {"nat": "inconclusive"})
	contains(get(inp, "P2P-008", "router.nat").detail, "measurement was inconclusive")
}

test_p2p008_client if {
	inp := with_site({"clients": {"nat": "unknown"}})
	has(inp, "P2P-008", "clients.nat")
	not has(inp, "P2P-008", "router.nat")
}

test_p2p008_both if {
	inp := with_site({"router": {"nat": "unknown"}, "clients": {"nat": "unknown"}})
	has(inp, "P2P-008", "clients.nat")
	has(inp, "P2P-008", "router.nat")
}

# field guide: known issue 9, device not declared online.
test_p2p009_offline if {
	has(with_site({"online": false}), "P2P-009", "online")
	not "P2P-009" in ids(base)
}

# SPEC §4: measured NAT contradicts the declared one.
test_p2p010_nat_conflict if {
	inp := with_meas({"router": {"nat": "full_cone"}}, {"nat": "port_restricted_cone"})
	f := get(inp, "P2P-010", "measurement")
	contains(f.detail, "found port_restricted_cone but router.nat declares full_cone")
}

test_p2p010_no_conflict_when_undeclared if {
	not "P2P-010" in ids(with_meas({"router": {"nat": "unknown"}}, {"nat": "symmetric"}))
	not "P2P-010" in ids(base)
}

test_p2p010_operator_nat_conflict if {
	inp := with_meas({}, {"operator_nat": true, "operator_nat_evidence": ["hairpin test"]})
	some f in decide(inp).findings
	f.id == "P2P-010"
	contains(f.detail, "wan.operator_nat is false")
}

# The base site declares port_restricted_cone: measure the same, so only
# the address can conflict.
same_nat := {"nat": "port_restricted_cone"}

test_p2p010_mapped_address_conflict if {
	inp := with_meas({}, object.union(same_nat, {"mapped": "203.0.113.77:40000"}))
	f := get(inp, "P2P-010", "measurement")
	contains(f.detail, "come from 203.0.113.77 but wan.ipv4 declares 198.51.100.23")
}

test_p2p010_mapped_ipv6_address_conflict if {
	inp := with_meas({}, object.union(same_nat, {"mapped": "[2001:db8::7]:40000"}))
	f := get(inp, "P2P-010", "measurement")
	contains(f.detail, "come from 2001:db8::7 but")
}

test_p2p010_mapped_address_agrees if {
	not "P2P-010" in ids(with_meas({}, object.union(same_nat, {"mapped": "198.51.100.23:40001"})))
	not "P2P-010" in ids(with_meas({}, object.union(same_nat, {"mapped": ""})))
	not "P2P-010" in ids(with_meas({"wan": {"ipv4": ""}}, object.union(same_nat, {"mapped": "203.0.113.77:40000"})))
	not "P2P-010" in ids(with_meas({}, object.union(same_nat, {"mapped": "203.0.113.77:40000", "no_nat": true})))
}

# field guide: DMZ, never: requested.
test_sec001_dmz_requested if {
	inp := with_site({"request": "dmz"})
	f := get(inp, "SEC-001", "request")
	f.severity == "denied"
	denied(inp, "SEC-001", "request")
	not "SEC-001" in ids(base)
}

# field guide: DMZ, never: configured on the router.
test_sec001_dmz_host if {
	inp := with_site({"router": {"dmz_host": "192.168.1.108"}})
	contains(get(inp, "SEC-001", "router.dmz_host").detail, "192.168.1.108")
	denied(inp, "SEC-001", "router.dmz_host")
	not denied(inp, "SEC-001", "request")
}

# field guide: UPnP found enabled is a warning.
test_sec002_upnp_enabled if {
	inp := with_site({"router": {"upnp": true}})
	f := get(inp, "SEC-002", "router.upnp")
	f.severity == "medium"
	decide(inp).denials == []
	not "SEC-002" in ids(base)
}

test_sec002_upnp_requested if {
	inp := with_site({"request": "upnp"})
	contains(get(inp, "SEC-002", "request").detail, "never generates UPnP")
	not has(inp, "SEC-002", "router.upnp")
}

# field guide: the external port must differ from the device's default port.
test_sec003_own_default_port if {
	inp := with_site({"devices": [{"name": "cam", "description": "", "ipv4": "192.168.1.20", "ipv6": "", "services": [{"name": "web", "protocol": "tcp", "port": 8443, "external_port": 8443}]}]})
	f := get(inp, "SEC-003", "device.cam.service.web.external_port")
	f.severity == "denied"
	contains(f.detail, "its own default port")
	denied(inp, "SEC-003", "device.cam.service.web.external_port")
}

test_sec003_other_service_default_port if {
	inp := with_site({"devices": [{"name": "nvr", "description": "", "ipv4": "192.168.1.108", "ipv6": "", "services": [
		{"name": "main", "protocol": "tcp", "port": 37777, "external_port": 40554},
		{"name": "media", "protocol": "tcp", "port": 40554, "external_port": 0},
	]}]})
	contains(get(inp, "SEC-003", "device.nvr.service.main.external_port").detail, "default port of service media")
}

test_sec003_well_known_port if {
	inp := with_site({"devices": [{"name": "nvr", "description": "", "ipv4": "192.168.1.108", "ipv6": "", "services": [{"name": "main", "protocol": "tcp", "port": 37777, "external_port": 8080}]}]})
	contains(get(inp, "SEC-003", "device.nvr.service.main.external_port").detail, "well-known port")
}

test_sec003_safe_external_port if {
	inp := with_site({"devices": [{"name": "nvr", "description": "", "ipv4": "192.168.1.108", "ipv6": "", "services": [
		{"name": "main", "protocol": "tcp", "port": 37777, "external_port": 47777},
		{"name": "rtsp", "protocol": "tcp", "port": 554, "external_port": 0},
	]}]})
	not "SEC-003" in ids(inp)
	decide(inp).denials == []
}

# The well-known list is data: an operator can extend it.
test_sec003_well_known_from_data if {
	inp := with_site({"devices": [{"name": "nvr", "description": "", "ipv4": "192.168.1.108", "ipv6": "", "services": [{"name": "main", "protocol": "tcp", "port": 37777, "external_port": 47777}]}]})
	"SEC-003" in ids(inp) with data.p2pplan.config.well_known_ports as [47777]
}

# field guide: static PAT, the public IP must be fixed. On a relay path the
# home order skips ipv6 and pat before reaching vpn: both are explained.
test_sec004_pat_no_ipv4 if {
	inp := with_site({"router": {"nat": "symmetric"}, "clients": {"nat": "symmetric", "ipv6": false}, "wan": {"ipv4": ""}})
	decide(inp).chosen == "vpn"
	f := get(inp, "SEC-004", "wan.ipv4")
	f.severity == "info"
	f.detail == "PAT is ahead of the chosen mode (vpn) in the home profile's order but the site has no public IPv4 address (wan.ipv4 is empty), so there is nothing to forward from."
	not "SEC-004" in ids(base)
}

# A mode after the chosen one raises nothing: P2P works on the base site.
test_sec004_not_raised_after_chosen if {
	inp := with_site({"wan": {"ipv4": "", "ipv6_prefix": ""}})
	decide(inp).chosen == "p2p"
	not "SEC-004" in ids(inp)
}

test_sec004_pat_not_fixed if {
	has(with_site({"router": {"nat": "symmetric"}, "clients": {"nat": "symmetric", "ipv6": false}, "wan": {"ipv4_fixed": false}}), "SEC-004", "wan.ipv4_fixed")
}

test_sec004_ipv6_no_prefix if {
	inp := with_site({"router": {"nat": "symmetric"}, "clients": {"nat": "symmetric"}, "wan": {"ipv6_prefix": ""}})
	decide(inp).chosen == "pat"
	has(inp, "SEC-004", "wan.ipv6_prefix")
	not has(inp, "SEC-004", "wan.ipv4")
}

test_sec004_ipv6_not_fixed if {
	has(with_site({"router": {"nat": "symmetric"}, "clients": {"nat": "symmetric"}, "wan": {"ipv6_fixed": false}}), "SEC-004", "wan.ipv6_fixed")
}

# Every mode of the order skipped (an order without extra_router): all explained.
test_sec004_chosen_outside_order if {
	inp := with_site({"router": {"nat": "udp_blocked"}, "wan": {"ipv4": "", "ipv6_prefix": ""}})
	d := decide(inp) with data.p2pplan.config.order as {"home": ["p2p", "ipv6", "pat", "vpn"]}
	d.chosen == "extra_router"
	fields := {f.field | some f in d.findings; f.id == "SEC-004"}
	fields == {"wan.ipv4", "wan.ipv6_prefix"}
}

# Not considered: pat and ipv6 are not in the secured order and not requested.
test_sec004_not_considered if {
	not "SEC-004" in ids(with_site({"profile": "secured", "wan": {"ipv4": "", "ipv6_prefix": ""}}))
}

test_sec004_requested if {
	inp := with_site({"profile": "secured", "request": "pat", "wan": {"ipv4": ""}})
	contains(get(inp, "SEC-004", "wan.ipv4").detail, "PAT is requested")
}

# field guide: secured sites; exposure to any source.
test_sec005_secured_request_any_source if {
	inp := with_site({"profile": "secured", "request": "pat", "clients": {"sources": ["0.0.0.0/0", "::/0"]}})
	f := get(inp, "SEC-005", "clients.sources")
	f.severity == "high"
	contains(f.detail, "secured site")
	contains(f.detail, "0.0.0.0/0, ::/0")
}

test_sec005_firewall_chosen_ipv6 if {
	inp := with_site({"router": {"firewall": true}, "clients": {"sources": ["::/0"]}})
	decide(inp).chosen == "ipv6"
	contains(get(inp, "SEC-005", "clients.sources").detail, "firewall-protected site would expose its services with ipv6")
}

test_sec005_not_raised if {
	# restricted sources
	not "SEC-005" in ids(with_site({"profile": "secured", "request": "pat"}))

	# not a secured site
	not "SEC-005" in ids(with_site({"request": "pat", "clients": {"sources": ["0.0.0.0/0"]}}))

	# secured, but a VPN
	not "SEC-005" in ids(with_site({"profile": "secured", "clients": {"sources": ["0.0.0.0/0"]}}))
}

# field guide: VPN; a peer that routes everything.
test_sec006_vpn_routes_everything if {
	inp := with_site({"vpn": object.union(vpn_full, {"routes": ["10.99.0.0/24", "0.0.0.0/0"]})})
	f := get(inp, "SEC-006", "vpn.routes")
	f.severity == "medium"
	contains(f.detail, "0.0.0.0/0")
	not "SEC-006" in ids(with_site({"vpn": vpn_full}))
	not "SEC-006" in ids(base)
	not "SEC-006" in ids(with_site({"vpn": object.union(vpn_full, {"routes": null})}))
}

# Findings sorted by severity rank, then id, then field.
test_findings_sorted if {
	inp := with_site({
		"online": false,
		"request": "dmz",
		"router": {"firewall": true, "upnp": true, "nat": "unknown"},
		"clients": {"nat": "unknown", "sources": ["0.0.0.0/0", "::/0"]},
		"wan": {"operator_restrictions": true, "ipv4": ""},
	})
	got := [[f.id, f.field] | some f in decide(inp).findings]
	got == [
		["SEC-001", "request"],
		["P2P-001", "router.firewall"],
		["SEC-005", "clients.sources"],
		["P2P-005", "wan.operator_restrictions"],
		["SEC-002", "router.upnp"],
		["P2P-008", "clients.nat"],
		["P2P-008", "router.nat"],
		["P2P-009", "online"],
	]
}

test_denials_sorted if {
	inp := with_site({
		"request": "dmz",
		"router": {"dmz_host": "192.168.1.108"},
		"devices": [{"name": "nvr", "description": "", "ipv4": "192.168.1.108", "ipv6": "", "services": [
			{"name": "main", "protocol": "tcp", "port": 37777, "external_port": 37777},
			{"name": "http", "protocol": "tcp", "port": 80, "external_port": 80},
		]}],
	})
	[[d.id, d.field] | some d in decide(inp).denials] == [
		["SEC-001", "request"],
		["SEC-001", "router.dmz_host"],
		["SEC-003", "device.nvr.service.http.external_port"],
		["SEC-003", "device.nvr.service.main.external_port"],
	]
}

# Severities and titles come from data; an id missing there still comes out (fail closed).
test_catalogue_from_data if {
	inp := with_site({"online": false, "router": {"upnp": true}})
	fs := decide(inp).findings with data.p2pplan.config.findings as {"P2P-009": {"severity": "high", "title": "Offline"}}
	fs[0].id == "P2P-009"
	fs[0].severity == "high"
	fs[0].title == "Offline"
	fs[1].id == "SEC-002"
	fs[1].severity == "high"
	fs[1].title == "SEC-002"
}

test_unknown_severity_sorts_last if {
	inp := with_site({"online": false, "router": {"upnp": true}})
	fs := decide(inp).findings with data.p2pplan.config.findings as {"P2P-009": {"severity": "weird", "title": "x"}, "SEC-002": {"severity": "info", "title": "y"}}
	[f.id | some f in fs] == ["SEC-002", "P2P-009"]
}
