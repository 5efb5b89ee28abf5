# Test fixtures: a home site with a direct path and nothing wrong, and
# helpers that patch it and read the decision.
package p2pplan_test

import data.p2pplan

base := {
	"site": {
		"name": "t-site",
		"file": "t.hcl",
		"description": "",
		"profile": "home",
		"online": true,
		"wan": {
			"ipv4": "198.51.100.23",
			"ipv4_fixed": true,
			"operator_nat": false,
			"shared_ipv4_ports": null,
			"operator_restrictions": false,
			"ipv6_prefix": "2001:db8:20::/56",
			"ipv6_fixed": true,
		},
		"router": {"firewall": false, "upnp": false, "dmz_host": "", "nat": "port_restricted_cone"},
		"devices": [
			{
				"name": "nvr",
				"description": "",
				"ipv4": "192.168.1.108",
				"ipv6": "2001:db8:20::108",
				"services": [
					{"name": "main", "protocol": "tcp", "port": 37777, "external_port": 0},
					{"name": "rtsp", "protocol": "tcp", "port": 554, "external_port": 0},
				],
			},
			{"name": "switch", "description": "", "ipv4": "192.168.1.2", "ipv6": "", "services": []},
		],
		"clients": {"nat": "full_cone", "ipv6": true, "sources": ["203.0.113.0/24", "2001:db8:ff00::/40"]},
		"request": "",
		"vpn": null,
		"auto_register": null,
		"measurement_file": "",
	},
	"measurement": null,
}

# A full VPN block.
vpn_full := {
	"hub": "vpn.example.net:51820",
	"hub_public_key": "aGVsbG8=",
	"tunnel": "10.99.0.0/24",
	"address": "10.99.0.2/32",
	"routes": ["10.99.0.0/24"],
	"keepalive": 25,
}

# A measurement with endpoint-independent mapping and filtering.
meas_base := {
	"server": "192.0.2.1:3478",
	"local": "192.168.1.10:40000",
	"mapped": "198.51.100.23:40000",
	"mapping": "endpoint_independent",
	"filtering": "endpoint_independent",
	"nat": "full_cone",
	"no_nat": false,
	"udp_blocked": false,
	"operator_nat": false,
	"operator_nat_evidence": [],
	"rtt_ms": 1.5,
	"duration_ms": 20,
	"tests": [],
}

# The base input with the site patched (object.union merges recursively).
with_site(patch) := object.union(base, {"site": patch})

# The base input with the site patched and a measurement.
with_meas(patch, m) := object.union(with_site(patch), {"measurement": object.union(meas_base, m)})

decide(inp) := d if {
	d := p2pplan.decision with input as inp
}

ids(inp) := {f.id | some f in decide(inp).findings}

has(inp, id, field) if {
	some f in decide(inp).findings
	f.id == id
	f.field == field
}

get(inp, id, field) := f if {
	some f in decide(inp).findings
	f.id == id
	f.field == field
}

denied(inp, id, field) if {
	some d in decide(inp).denials
	d.id == id
	d.field == field
}

alt(inp, mode) := a if {
	some a in decide(inp).alternatives
	a.mode == mode
}
