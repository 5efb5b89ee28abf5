package natprobe

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/p2pplan/p2pplan/internal/measurement"
)

// classicMeaning explains each classic name in the field guide's words.
var classicMeaning = map[string]string{
	measurement.Open:               "no NAT: the host's own address reaches the server",
	measurement.FullCone:           "full cone: one mapping for every destination, anyone may send back",
	measurement.RestrictedCone:     "restricted cone: one mapping, only addresses contacted may send back",
	measurement.PortRestrictedCone: "port-restricted cone: one mapping, only address:port pairs contacted may send back",
	measurement.Symmetric:          "symmetric: a new mapping per destination; direct P2P works only with an open, full-cone or restricted-cone peer",
	measurement.UDPBlocked:         "UDP blocked: no STUN answer at all; P2P and WireGuard cannot work from here",
	measurement.Inconclusive:       "inconclusive: not enough evidence to decide (see the notes)",
}

// WriteText prints the measurement for a human. The output depends only on
// m, so it is deterministic (durations are printed as measured).
func WriteText(w io.Writer, m *measurement.Measurement) error {
	b := bufio.NewWriter(w)
	p := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	p("NAT type:      %s\n", m.NAT)
	if s, ok := classicMeaning[m.NAT]; ok {
		p("               %s\n", s)
	}
	p("Mapping:       %s  (RFC 5780 §4.3)\n", orDash(m.Mapping))
	p("Filtering:     %s  (RFC 5780 §4.4)\n", orDash(m.Filtering))
	p("No NAT:        %s\n", yesNo(m.NoNAT))
	p("UDP blocked:   %s\n", yesNo(m.UDPBlocked))
	op := yesNo(m.OperatorNAT)
	if m.OperatorNATResult != "" {
		op += " (" + strings.ReplaceAll(m.OperatorNATResult, "_", " ") + ")"
	}
	p("Operator NAT:  %s\n", op)
	for _, e := range m.OperatorNATEvidence {
		p("               - %s\n", e)
	}
	p("Server:        %s", m.Server)
	if !m.ServerRFC5780 && !m.UDPBlocked {
		p("  (no RFC 5780 support)")
	}
	p("\n")
	p("Local:         %s\n", m.Local)
	p("Mapped:        %s\n", orDash(m.Mapped))
	p("RTT:           %.2f ms\n", m.RTTMs)
	p("Duration:      %.1f ms\n", m.DurationMs)
	if len(m.Tests) > 0 {
		p("Tests:\n")
		for _, t := range m.Tests {
			status := "no answer"
			if t.Answered {
				status = "answered from " + t.From
				if t.Mapped != "" {
					status += ", mapped " + t.Mapped
				}
				if t.Error != "" {
					status += ", error " + t.Error
				}
			}
			p("  %-23s %-40s %s\n", t.Name, t.Request, status)
		}
	}
	if len(m.Notes) > 0 {
		p("Notes:\n")
		for _, n := range m.Notes {
			p("  - %s\n", n)
		}
	}
	return b.Flush()
}

func yesNo(v bool) string {
	if v {
		return "yes"
	}
	return "no"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
