// Package plan holds the one plan type that flows from the loader to the
// policy evaluation, the generators and the report writers.
//
// A plan holds no secrets: WireGuard private keys are referenced by file path
// only. Slices are kept sorted so that every rendering is deterministic.
package plan

import (
	"github.com/p2pplan/p2pplan/internal/measurement"
	"github.com/p2pplan/p2pplan/internal/site"
)

// Version of the plan JSON format (SPEC §7).
const Version = "1"

// Severity values of the finding catalogue (SPEC §6), most severe first.
var Severities = []string{"denied", "high", "medium", "low", "info"}

// Mode names (SPEC §5).
const (
	ModeP2P          = "p2p"
	ModeVPN          = "vpn"
	ModeAutoRegister = "auto_register"
	ModeIPv6         = "ipv6"
	ModePAT          = "pat"
	ModeExtraRouter  = "extra_router"
	ModeDMZ          = "dmz"
	ModeUPnP         = "upnp"
)

// Plan is one run over many sites.
type Plan struct {
	Version string      `json:"version"`
	Sites   []*SitePlan `json:"sites"`
	Summary Summary     `json:"summary"`
}

// SitePlan is everything decided and generated for one site.
type SitePlan struct {
	Site        *site.Site               `json:"-"`
	Measurement *measurement.Measurement `json:"-"` // nil when the site has none

	Name         string         `json:"name"`
	File         string         `json:"file"`
	P2P          P2P            `json:"p2p"`
	Findings     []Finding      `json:"findings"`
	Denials      []Denial       `json:"denials"`
	Alternatives []Alternative  `json:"alternatives"`
	Chosen       string         `json:"chosen"`
	Request      *Request       `json:"request,omitempty"`
	Checklist    []Step         `json:"checklist,omitempty"`
	Exposures    []Exposure     `json:"exposures,omitempty"`
	WireGuard    *WireGuardKeys `json:"wireguard,omitempty"`
	Artifacts    []Artifact     `json:"artifacts"`
}

// Denied reports whether a policy denied something for this site; such a
// site gets no artifacts.
func (sp *SitePlan) Denied() bool { return len(sp.Denials) > 0 }

// Alternative returns the evaluation of mode, and whether it was evaluated.
func (sp *SitePlan) Alternative(mode string) (Alternative, bool) {
	for _, a := range sp.Alternatives {
		if a.Mode == mode {
			return a, true
		}
	}
	return Alternative{}, false
}

// P2P is the direct-path verdict of SPEC §5.
type P2P struct {
	Path      string `json:"path"` // direct | relay | blocked | unknown
	SiteNAT   string `json:"site_nat"`
	ClientNAT string `json:"client_nat"`
	Measured  bool   `json:"measured"` // SiteNAT comes from a measurement
}

// Finding is one entry of the catalogue (SPEC §6) raised for a site.
type Finding struct {
	ID          string      `json:"id"`
	Severity    string      `json:"severity"`
	Title       string      `json:"title"`
	Detail      string      `json:"detail"`
	Remediation string      `json:"remediation"`
	Field       string      `json:"field"`  // dotted path of the input that caused it
	Source      site.Source `json:"source"` // where that input was written
}

// Denial is a policy refusal; the site gets no artifacts.
type Denial struct {
	ID     string      `json:"id"`
	Reason string      `json:"reason"`
	Field  string      `json:"field"`
	Source site.Source `json:"source"`
}

// Alternative is one mode with its preconditions evaluated.
type Alternative struct {
	Mode        string   `json:"mode"`
	Applicable  bool     `json:"applicable"`
	Recommended bool     `json:"recommended"`
	Reasons     []string `json:"reasons"`
	Missing     []string `json:"missing,omitempty"` // inputs still needed to generate it (e.g. "vpn.hub")
}

// Request is what became of `request = ...`.
type Request struct {
	Mode     string `json:"mode"`
	Honoured bool   `json:"honoured"`
	Reason   string `json:"reason"`
}

// Step is one step of the field guide's troubleshooting checklist.
type Step struct {
	Step     int    `json:"step"`
	Text     string `json:"text"`
	Answered bool   `json:"answered"`
	Note     string `json:"note,omitempty"`
}

// Exposure is one service reachable from outside on an external port, for
// the pat and ipv6 modes. Exactly one protocol and one port: never a range.
type Exposure struct {
	Mode          string   `json:"mode"` // pat | ipv6
	Device        string   `json:"device"`
	Service       string   `json:"service"`
	Protocol      string   `json:"protocol"`
	PublicAddress string   `json:"public_address"` // the site's public IPv4, or the device's IPv6
	ExternalPort  int      `json:"external_port"`
	DeviceAddress string   `json:"device_address"`
	DevicePort    int      `json:"device_port"`
	Sources       []string `json:"sources"`
}

// WireGuardKeys references the site's WireGuard key pair. The private key
// itself never enters a plan: only the path where the gateway keeps it.
type WireGuardKeys struct {
	PublicKey      string `json:"public_key"`       // base64, from `p2pplan keys gen`
	PrivateKeyFile string `json:"private_key_file"` // path on the gateway, loaded by PostUp
}

// Artifact is one file written for a site.
type Artifact struct {
	Path      string `json:"path"` // relative to --out
	Generator string `json:"generator"`
	Mode      string `json:"mode"`
	SHA256    string `json:"sha256"`
}

// Summary counts the run.
type Summary struct {
	Sites     int            `json:"sites"`
	Denied    int            `json:"denied"`
	Chosen    []ModeCount    `json:"chosen"`
	Findings  []FindingCount `json:"findings"`
	Artifacts int            `json:"artifacts"`
}

// ModeCount is how many sites got one mode.
type ModeCount struct {
	Mode  string `json:"mode"`
	Sites int    `json:"sites"`
}

// FindingCount is how many times one finding ID was raised.
type FindingCount struct {
	ID    string `json:"id"`
	Count int    `json:"count"`
}
