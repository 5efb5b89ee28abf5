package p2pplan_test

import data.p2pplan

test_base_decision if {
	d := decide(base)
	d.chosen == "p2p"
	d.request == null
	d.checklist == []
}

# --- choice per profile (SPEC §5 default order) ----------------------------------------

relay := {"router": {"nat": "symmetric"}, "clients": {"nat": "symmetric"}}

test_choice_home_and_small_business if {
	every profile in ["home", "small_business"] {
		# direct, no known issue
		decide(with_site({"profile": profile})).chosen == "p2p"

		# no direct path: fixed IPv6 next
		decide(with_site(object.union(relay, {"profile": profile}))).chosen == "ipv6"

		# no IPv6 on the clients: PAT
		decide(with_site(object.union(relay, {"profile": profile, "clients": {"ipv6": false}}))).chosen == "pat"

		# no fixed IPv4 either: VPN
		decide(with_site(object.union(relay, {"profile": profile, "clients": {"ipv6": false}, "wan": {"ipv4_fixed": false}}))).chosen == "vpn"

		# and UDP blocked: the additional router
		decide(with_site({"profile": profile, "router": {"nat": "udp_blocked"}, "clients": {"ipv6": false}, "wan": {"ipv4_fixed": false}})).chosen == "extra_router"
	}
}

test_choice_secured if {
	decide(with_site({"profile": "secured"})).chosen == "vpn"
	decide(with_site({"profile": "secured", "router": {"nat": "udp_blocked"}})).chosen == "extra_router"
}

test_choice_monitoring_center_and_video_provider if {
	every profile in ["monitoring_center", "video_provider"] {
		decide(with_site({"profile": profile, "auto_register": {"platform": "203.0.113.50", "port": 7000}})).chosen == "auto_register"
		decide(with_site({"profile": profile})).chosen == "vpn"
		decide(with_site({"profile": profile, "router": {"nat": "udp_blocked"}})).chosen == "extra_router"
	}
}

test_choice_managed if {
	decide(with_site({"profile": "managed", "auto_register": {"platform": "203.0.113.50", "port": 7000}})).chosen == "vpn"
	decide(with_site({"profile": "managed", "router": {"nat": "udp_blocked"}, "auto_register": {"platform": "203.0.113.50", "port": 7000}})).chosen == "auto_register"
	decide(with_site({"profile": "managed", "router": {"nat": "udp_blocked"}})).chosen == "extra_router"
}

# A profile the order data does not know still gets a decision.
test_choice_unknown_profile if {
	decide(with_site({"profile": "campus"})).chosen == "extra_router"
}

# The order is data: an operator can change it.
test_choice_order_from_data if {
	d := decide(base) with data.p2pplan.config.order as {"home": ["pat", "p2p"]}
	d.chosen == "pat"
}

# field guide: DMZ, never, even when the order data puts it first.
test_dmz_never_chosen_even_first_in_order if {
	d := decide(with_site({"request": "dmz"})) with data.p2pplan.config.order as {"home": ["dmz", "upnp", "vpn", "extra_router"]}
	d.chosen == "vpn"
	e := decide(base) with data.p2pplan.config.order as {"home": ["dmz", "upnp"]}
	e.chosen == "extra_router"
}

test_dmz_never_chosen_even_when_applicable_in_data if {
	not p2pplan.selectable("dmz") with input as base
	not p2pplan.selectable("upnp") with input as base
	not p2pplan.selectable("carrier_pigeon") with input as base
}

# SPEC §5: direct P2P only for home and small business, even if an order names it.
test_p2p_not_chosen_for_secured_even_in_order if {
	d := decide(with_site({"profile": "secured"})) with data.p2pplan.config.order as {"secured": ["p2p", "vpn"]}
	d.chosen == "vpn"
}

# Denials do not change the choice: the report shows what would be chosen.
test_denial_does_not_change_choice if {
	d := decide(with_site({"router": {"dmz_host": "192.168.1.108"}}))
	count(d.denials) == 1
	d.chosen == "p2p"
}

# --- requests ------------------------------------------------------------------------

test_request_honoured if {
	d := decide(with_site({"request": "vpn"}))
	d.chosen == "vpn"
	d.request == {"mode": "vpn", "honoured": true, "reason": "vpn was requested, is applicable, and was chosen."}
}

test_request_honoured_each_applicable_mode if {
	every mode in ["p2p", "vpn", "ipv6", "pat", "extra_router"] {
		decide(with_site({"request": mode})).chosen == mode
		decide(with_site({"request": mode})).request.honoured
	}
	decide(with_site({"request": "auto_register", "auto_register": {"platform": "203.0.113.50", "port": 7000}})).chosen == "auto_register"
}

test_request_not_applicable if {
	d := decide(with_site({"request": "auto_register"}))
	d.chosen == "p2p"
	not d.request.honoured
	d.request.reason == "auto_register is not applicable: auto_register.platform is not set: the platform address the device should dial is not known. auto_register.port is not set: the device needs the platform's port to dial. p2p was chosen instead."
}

test_request_dmz_refused if {
	d := decide(with_site({"request": "dmz"}))
	d.chosen == "p2p"
	d.request.mode == "dmz"
	not d.request.honoured
	startswith(d.request.reason, "DMZ is never generated")
	contains(d.request.reason, "p2p would be chosen once the request is removed")
}

test_request_upnp_refused if {
	d := decide(with_site({"request": "upnp", "router": {"nat": "symmetric"}, "clients": {"nat": "symmetric", "ipv6": false}}))
	d.chosen == "pat"
	not d.request.honoured
	d.request.reason == "UPnP is never generated: the device's default port would end up exposed without the customer knowing (SEC-002); pat was chosen instead."
	d.denials == []
}

test_request_unknown_mode if {
	d := decide(with_site({"request": "carrier_pigeon"}))
	d.chosen == "p2p"
	not d.request.honoured
	startswith(d.request.reason, "\"carrier_pigeon\" is not a mode p2pplan knows")
}

test_request_p2p_from_secured if {
	d := decide(with_site({"profile": "secured", "request": "p2p"}))
	d.chosen == "vpn"
	not d.request.honoured
	d.request.reason == "Direct P2P is only chosen for the profiles home, small_business, and this site's profile is secured; vpn was chosen instead."
}

test_request_p2p_with_known_issue if {
	d := decide(with_site({"request": "p2p", "online": false}))
	d.chosen == "ipv6"
	d.request.reason == "p2p is not applicable: Known issues apply: P2P-009. ipv6 was chosen instead."
}

# A denial about the request (an operator's extra rule, say) means it is not honoured.
test_request_denied if {
	d := decide(with_site({"request": "vpn"})) with p2pplan.denial_set as {{"id": "X-001", "reason": "no", "field": "request"}}
	d.chosen == "p2p"
	not d.request.honoured
	d.request.reason == "The request is denied; p2p would be chosen once the denial is resolved."
}

# --- troubleshooting checklist ------------------------------------------------------

test_checklist_empty_when_direct_without_issue if {
	decide(base).checklist == []
	decide(with_site({"router": {"upnp": true}})).checklist == []
}

test_checklist_on_relay if {
	c := decide(with_site(relay)).checklist
	[s.step | some s in c] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
	every s in c {
		s.text != ""
	}
	c[0].answered
	c[0].note == "Known issues found: P2P-004, P2P-007."
	c[1] == {"step": 2, "text": c[1].text, "answered": true, "note": "The device is declared online."}
	c[6].answered
	c[6].note == "Site NAT symmetric (declared in router.nat), client NAT symmetric: the path is relay."
	c[9].answered
	c[9].note == "Chosen: ipv6."
	[s.step | some s in c; not s.answered] == [3, 4, 5, 6, 8, 9]
	[s.step | some s in c; s.note == ""] == [3, 4, 5, 6, 8, 9]
}

# A known issue on a direct path is enough.
test_checklist_offline_device if {
	c := decide(with_site({"online": false})).checklist
	count(c) == 10
	not c[1].answered
	contains(c[1].note, "not declared online")
	c[6].answered
}

test_checklist_nat_unknown if {
	c := decide(with_site({"router": {"nat": "unknown"}, "clients": {"nat": "unknown"}})).checklist
	not c[6].answered
	c[6].note == "NAT type unknown on the site and client side: run p2pplan probe there."
	c2 := decide(with_site({"clients": {"nat": "unknown"}})).checklist
	c2[6].note == "NAT type unknown on the client side: run p2pplan probe there."
}

test_checklist_measured if {
	c := decide(with_meas({"router": {"nat": "unknown"}, "clients": {"nat": "symmetric"}}, {"nat": "symmetric"})).checklist
	c[6].note == "Site NAT symmetric (measured by p2pplan probe), client NAT symmetric: the path is relay."
}

test_checklist_step_one_without_known_issue if {
	p2pplan.step_answer(1) == [true, "No known issue found in the site description."] with input as base
	p2pplan.step_answer(3) == [false, ""] with input as base
}

# An operator's data without any configuration still gives a decision (fail closed).
test_empty_configuration if {
	d := decide(with_site({"online": false, "wan": {"shared_ipv4_ports": {"from": 16384, "to": 16385}}})) with data.p2pplan.config as {}
	d.chosen == "extra_router"
	every f in d.findings {
		f.severity == "high"
		f.title == f.id
	}
	count(d.findings) == 2
	alt(with_site({"wan": {"shared_ipv4_ports": {"from": 16384, "to": 16385}}}), "pat").applicable with data.p2pplan.config as {}
}
