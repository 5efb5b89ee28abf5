// Package measurement holds the result of one NAT measurement (SPEC §4): the
// JSON object `p2pplan probe --json` prints and `p2pplan plan` reads back.
package measurement

import (
	"encoding/json"
	"fmt"
	"os"
)

// Behaviour values for Mapping and Filtering (RFC 4787 §4.1, §5), plus
// Inconclusive when the probe had not enough evidence to decide.
const (
	EndpointIndependent     = "endpoint_independent"
	AddressDependent        = "address_dependent"
	AddressAndPortDependent = "address_and_port_dependent"
	Inconclusive            = "inconclusive"
)

// Classic NAT names (RFC 3489 §5), the vocabulary of the field guide.
const (
	Open               = "open"
	FullCone           = "full_cone"
	RestrictedCone     = "restricted_cone"
	PortRestrictedCone = "port_restricted_cone"
	Symmetric          = "symmetric"
	UDPBlocked         = "udp_blocked"
	Unknown            = "unknown"
)

// ClassicNATs lists every classic name a site file may declare, in the order
// of the field guide's table.
var ClassicNATs = []string{Open, FullCone, RestrictedCone, PortRestrictedCone, Symmetric, UDPBlocked}

// Measurement is one probe run. Field names are the contract of SPEC §4.
type Measurement struct {
	Server    string `json:"server"`    // STUN server as host:port
	Local     string `json:"local"`     // local address:port the probe used
	Mapped    string `json:"mapped"`    // mapped address:port seen by the server (test I), "" if none
	Mapping   string `json:"mapping"`   // RFC 5780 §4.3 result, or "inconclusive"
	Filtering string `json:"filtering"` // RFC 5780 §4.4 result, or "inconclusive"
	NAT       string `json:"nat"`       // classic name, or "inconclusive"

	NoNAT               bool     `json:"no_nat"`      // the mapped address is one of the host's own
	UDPBlocked          bool     `json:"udp_blocked"` // no answer to anything
	OperatorNAT         bool     `json:"operator_nat"`
	OperatorNATEvidence []string `json:"operator_nat_evidence"` // why operator_nat is what it is
	// OperatorNATResult is the tri-state behind OperatorNAT: "detected",
	// "not_detected" or "inconclusive" (no evidence either way). Added by
	// the probe; absent in files written before it.
	OperatorNATResult string `json:"operator_nat_result,omitempty"`
	// ServerRFC5780 is false when the server gave no usable OTHER-ADDRESS
	// (RFC 5780 §7.4): mapping and filtering could not be measured.
	ServerRFC5780 bool `json:"server_rfc5780"`

	RTTMs      float64 `json:"rtt_ms"`
	DurationMs float64 `json:"duration_ms"`

	Tests []Test `json:"tests"` // each raw test, in the order of RFC 5780 §4.3/§4.4

	// Notes are human-readable remarks (e.g. the server lacks OTHER-ADDRESS).
	Notes []string `json:"notes,omitempty"`
}

// Test is one raw STUN transaction of the probe.
type Test struct {
	Name     string `json:"name"`     // e.g. "mapping-I", "filtering-II"
	Request  string `json:"request"`  // destination and attributes sent, e.g. "192.0.2.1:3478 CHANGE-REQUEST(ip,port)"
	Answered bool   `json:"answered"` // a valid response arrived
	From     string `json:"from,omitempty"`
	Mapped   string `json:"mapped,omitempty"`
	Error    string `json:"error,omitempty"` // an error response's code and reason
}

var validNAT = map[string]bool{
	Open: true, FullCone: true, RestrictedCone: true, PortRestrictedCone: true,
	Symmetric: true, UDPBlocked: true, Inconclusive: true,
}

var validBehaviour = map[string]bool{
	EndpointIndependent: true, AddressDependent: true, AddressAndPortDependent: true,
	Inconclusive: true, "": true,
}

// Validate checks the values a plan relies on.
func (m *Measurement) Validate() error {
	if !validNAT[m.NAT] {
		return fmt.Errorf("field \"nat\": %q is not one of open, full_cone, restricted_cone, port_restricted_cone, symmetric, udp_blocked, inconclusive", m.NAT)
	}
	if !validBehaviour[m.Mapping] {
		return fmt.Errorf("field \"mapping\": %q is not a RFC 4787 behaviour", m.Mapping)
	}
	if !validBehaviour[m.Filtering] {
		return fmt.Errorf("field \"filtering\": %q is not a RFC 4787 behaviour", m.Filtering)
	}
	return nil
}

// Load reads and validates a measurement file.
func Load(path string) (*Measurement, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m Measurement
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%s: not a p2pplan measurement: %w", path, err)
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &m, nil
}
