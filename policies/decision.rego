# The decision of SPEC §5: chosen mode, the site's request, the
# troubleshooting checklist, and the one document Go reads
# (data.p2pplan.decision, docs/policy-contract.md).
package p2pplan

# SPEC §5: the profile's default order, from data.
order := object.get(profile_orders, site.profile, [])

# A mode that may be chosen: applicable and never DMZ or UPnP, whatever the data says.
selectable(mode) if {
	mode in modes
	mode != "p2p"
	not mode in never_modes
	applicable(mode)
}

# SPEC §5: direct P2P is chosen only when the path is direct, no known issue
# applies, and the profile is one P2P is recommended for (home, small business).
selectable("p2p") if {
	applicable("p2p")
	site.profile in p2p_profiles
}

order_choices := [m | some m in order; selectable(m)]

# SPEC §5: a request is honoured when applicable and not denied.
request_honoured if {
	site.request != ""
	selectable(site.request)
	not request_denied
}

request_denied if {
	some d in denials
	d.field == "request"
}

# SPEC §5: the request when honoured, else the first applicable mode in the
# profile's order; extra_router (always applicable) when the order data
# holds nothing applicable, so the decision is always defined.
# Denials do not change it: the report shows what would be chosen once the
# denied request or setting is removed.
chosen := site.request if {
	request_honoured
} else := order_choices[0] if {
	count(order_choices) > 0
} else := "extra_router"

# Why a request was not honoured.
request_refusal := sprintf("DMZ is never generated: it forwards every port to one device, which the field guide calls a security disaster (SEC-001); %s would be chosen once the request is removed.", [chosen]) if {
	site.request == "dmz"
} else := sprintf("UPnP is never generated: the device's default port would end up exposed without the customer knowing (SEC-002); %s was chosen instead.", [chosen]) if {
	site.request == "upnp"
} else := sprintf("%q is not a mode p2pplan knows (%s); %s was chosen instead.", [site.request, concat(", ", modes), chosen]) if {
	not site.request in modes
} else := sprintf("%s is not applicable: %s %s was chosen instead.", [site.request, concat(" ", failures[site.request]), chosen]) if {
	not applicable(site.request)
} else := sprintf("Direct P2P is only chosen for the profiles %s, and this site's profile is %s; %s was chosen instead.", [concat(", ", p2p_profiles), site.profile, chosen]) if {
	site.request == "p2p"
} else := sprintf("The request is denied; %s would be chosen once the denial is resolved.", [chosen])

default request_result := null

request_result := {
	"mode": site.request,
	"honoured": true,
	"reason": sprintf("%s was requested, is applicable, and was chosen.", [site.request]),
} if {
	request_honoured
}

request_result := {
	"mode": site.request,
	"honoured": false,
	"reason": request_refusal,
} if {
	site.request != ""
	not request_honoured
}

# --- troubleshooting checklist (SPEC §5) ----------------------------------------

checklist_steps := [
	"Go through the known issues: firewall, operator NAT, shared IPv4, symmetric NAT, operator restrictions, UDP blocked, no direct path, unknown NAT, device not online.",
	"Check that the device is declared online on the vendor's cloud.",
	"Try the device on another operator's network.",
	"Try another device on the same network.",
	"Try the same remote client from another operator's network.",
	"Try from another remote client.",
	"Identify the NAT type on both sides and check that the pair can connect (p2pplan probe on each side).",
	"Where possible, read the router's NAT table to see which ports are mapped.",
	"Capture traffic while stopping and starting P2P (port mirroring on a switch, or the recorder's own capture to a USB stick) and send it with the device serial number to the vendor's support.",
	"Move to an alternative.",
]

# The checklist applies when the path is not direct or a known issue applies.
checklist_needed if path != "direct"

checklist_needed if count(known_issues) > 0

# Steps the data already answers: [answered, note].
default step_answer(_) := [false, ""]

# SPEC §5 checklist step 1: the known issues found.
step_answer(1) := [true, sprintf("Known issues found: %s.", [concat(", ", known_issues)])] if {
	count(known_issues) > 0
}

step_answer(1) := [true, "No known issue found in the site description."] if {
	count(known_issues) == 0
}

# SPEC §5 checklist step 2: the device declared online (known issue 9).
step_answer(2) := [true, "The device is declared online."] if {
	site.online == true
}

step_answer(2) := [false, "The device is not declared online (P2P-009): register it on the vendor's cloud first."] if {
	site.online != true
}

# SPEC §5 checklist step 7: the NAT topology on both sides, declared or measured.
step_answer(7) := [true, sprintf("Site NAT %s (%s), client NAT %s: the path is %s.", [site_nat, nat_source, client_nat, path])] if {
	nat_known(site_nat)
	nat_known(client_nat)
}

step_answer(7) := [false, sprintf("NAT type unknown on the %s side: run p2pplan probe there.", [concat(" and ", unknown_sides)])] if {
	count(unknown_sides) > 0
}

unknown_sides := [side |
	some [side, nat] in [["site", site_nat], ["client", client_nat]]
	not nat_known(nat)
]

# SPEC §5 checklist step 10: the alternative chosen.
step_answer(10) := [true, sprintf("Chosen: %s.", [chosen])]

checklist := [{
	"step": i + 1,
	"text": text,
	"answered": step_answer(i + 1)[0],
	"note": step_answer(i + 1)[1],
} |
	checklist_needed
	some i, text in checklist_steps
]

# --- the decision -------------------------------------------------------------

decision := {
	"p2p": {
		"path": path,
		"site_nat": site_nat,
		"client_nat": client_nat,
		"measured": measured,
	},
	"findings": findings,
	"denials": denials,
	"alternatives": alternatives,
	"chosen": chosen,
	"request": request_result,
	"checklist": checklist,
}
