# The operator's configuration: data.p2pplan.config, from policies/data.json
# or an operator's own data file (p2pplan --policy DIR).
package p2pplan

# Each part has a default so that an operator's data file that leaves one out
# still gives a decision: no order means extra_router, no catalogue means
# every finding is high, no port list means only default ports are refused.

default profile_orders := {}

profile_orders := data.p2pplan.config.order

default recommended_profiles := {}

recommended_profiles := data.p2pplan.config.recommended

default well_known_ports := []

well_known_ports := data.p2pplan.config.well_known_ports

default catalogue := {}

catalogue := data.p2pplan.config.findings
