package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/p2pplan/p2pplan/internal/plan"
)

// textWriter is the terminal report: per site, the decision first, then the
// findings grouped by severity, the alternatives and the checklist.
type textWriter struct{}

func (textWriter) Write(w io.Writer, p *plan.Plan) error {
	tw := &textOut{w: w}
	for i, sp := range p.Sites {
		if i > 0 {
			tw.line("")
		}
		tw.site(sp)
	}
	tw.line("")
	tw.summary(p)
	return tw.err
}

type textOut struct {
	w   io.Writer
	err error
}

func (t *textOut) line(format string, args ...any) {
	if t.err != nil {
		return
	}
	_, t.err = fmt.Fprintf(t.w, format+"\n", args...)
}

func (t *textOut) site(sp *plan.SitePlan) {
	t.line("site %s (%s)", sp.Name, sp.File)
	measured := "declared"
	if sp.P2P.Measured {
		measured = "measured"
	}
	t.line("  profile:  %s", sp.Site.Profile)
	t.line("  P2P path: %s (site NAT %s, %s; clients %s)", sp.P2P.Path, sp.P2P.SiteNAT, measured, sp.P2P.ClientNAT)
	chosen, _ := sp.Alternative(sp.Chosen)
	if sp.Denied() {
		t.line("  chosen:   none, denied (would be %s once the denied request or setting is removed)", sp.Chosen)
	} else {
		t.line("  chosen:   %s", sp.Chosen)
	}
	for _, r := range chosen.Reasons {
		t.line("            %s", r)
	}
	if sp.Request != nil {
		verdict := "honoured"
		if !sp.Request.Honoured {
			verdict = "not honoured"
		}
		t.line("  request:  %s, %s: %s", sp.Request.Mode, verdict, sp.Request.Reason)
	}
	if sp.Denied() {
		t.line("  DENIED:")
		for _, d := range sp.Denials {
			t.line("    %s  %s  (%s:%d, %s)", d.ID, d.Reason, d.Source.File, d.Source.Line, fieldName(d.Field))
		}
	}
	if len(sp.Findings) > 0 {
		t.line("  findings:")
		for _, sev := range plan.Severities {
			first := true
			for _, f := range sp.Findings {
				if f.Severity != sev {
					continue
				}
				if first {
					t.line("    %s:", sev)
					first = false
				}
				t.line("      %s  %s  (%s:%d, %s)", f.ID, f.Title, f.Source.File, f.Source.Line, fieldName(f.Field))
				t.line("               %s", f.Detail)
				t.line("               fix: %s", f.Remediation)
			}
		}
	}
	t.line("  alternatives:")
	for _, a := range sp.Alternatives {
		mark := "no "
		if a.Applicable {
			mark = "yes"
		}
		rec := ""
		if a.Recommended {
			rec = ", recommended"
		}
		t.line("    [%s] %s%s: %s", mark, a.Mode, rec, strings.Join(a.Reasons, " "))
		if len(a.Missing) > 0 {
			t.line("          missing: %s", strings.Join(a.Missing, ", "))
		}
	}
	if len(sp.Checklist) > 0 {
		t.line("  troubleshooting checklist:")
		for _, s := range sp.Checklist {
			mark := " "
			if s.Answered {
				mark = "x"
			}
			t.line("    [%s] %2d. %s", mark, s.Step, s.Text)
			if s.Note != "" {
				t.line("            %s", s.Note)
			}
		}
	}
	if len(sp.Artifacts) > 0 {
		t.line("  artifacts:")
		for _, a := range sp.Artifacts {
			t.line("    %s  (%s, %s)", a.Path, a.Generator, a.Mode)
		}
	}
}

func (t *textOut) summary(p *plan.Plan) {
	s := p.Summary
	var modes []string
	for _, m := range s.Chosen {
		modes = append(modes, fmt.Sprintf("%s %d", m.Mode, m.Sites))
	}
	t.line("%d site(s), %d denied; chosen: %s; %d artifact(s)", s.Sites, s.Denied, strings.Join(modes, ", "), s.Artifacts)
}

func fieldName(f string) string {
	if f == "" {
		return "site block"
	}
	return f
}
