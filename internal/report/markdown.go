package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/p2pplan/p2pplan/internal/plan"
	"github.com/p2pplan/p2pplan/internal/site"
)

// markdownWriter is the security review document (SPEC §7): a decision
// table, then per site the findings, a Mermaid diagram of the chosen
// topology and the artifacts. Site descriptions are never printed, so user
// text cannot inject Markdown or Mermaid.
type markdownWriter struct{}

func (markdownWriter) Write(w io.Writer, p *plan.Plan) error {
	var b strings.Builder
	b.WriteString("# p2pplan review\n\n")
	fmt.Fprintf(&b, "%d site(s), %d denied, %d artifact(s).\n\n", p.Summary.Sites, p.Summary.Denied, p.Summary.Artifacts)
	b.WriteString("| site | file | profile | P2P path | chosen | denied | findings |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- |\n")
	for _, sp := range p.Sites {
		denied := "no"
		if sp.Denied() {
			denied = "**yes**"
		}
		var ids []string
		for _, f := range sp.Findings {
			ids = append(ids, f.ID)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", sp.Name, cell(sp.File), sp.Site.Profile,
			sp.P2P.Path, sp.Chosen, denied, strings.Join(ids, ", "))
	}
	for _, sp := range p.Sites {
		markdownSite(&b, sp)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func markdownSite(b *strings.Builder, sp *plan.SitePlan) {
	fmt.Fprintf(b, "\n## %s\n\n", sp.Name)
	fmt.Fprintf(b, "File `%s`, profile %s. P2P path **%s** (site NAT %s, clients %s).\n\n",
		sp.File, sp.Site.Profile, sp.P2P.Path, sp.P2P.SiteNAT, sp.P2P.ClientNAT)
	if sp.Denied() {
		b.WriteString("**Denied** — no artifact is written for this site:\n\n")
		for _, d := range sp.Denials {
			fmt.Fprintf(b, "- %s: %s (`%s:%d`, %s)\n", d.ID, d.Reason, d.Source.File, d.Source.Line, fieldName(d.Field))
		}
		fmt.Fprintf(b, "\nOnce the denied request or setting is removed, the plan would choose **%s**.\n\n", sp.Chosen)
	} else {
		fmt.Fprintf(b, "Chosen: **%s**.\n\n", sp.Chosen)
	}
	if len(sp.Findings) > 0 {
		b.WriteString("| id | severity | title | where | remediation |\n| --- | --- | --- | --- | --- |\n")
		for _, f := range sp.Findings {
			fmt.Fprintf(b, "| %s | %s | %s | `%s:%d` %s | %s |\n", f.ID, f.Severity, cell(f.Title),
				f.Source.File, f.Source.Line, fieldName(f.Field), cell(f.Remediation))
		}
		b.WriteString("\n")
	}
	b.WriteString("| mode | applicable | recommended | why |\n| --- | --- | --- | --- |\n")
	for _, a := range sp.Alternatives {
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", a.Mode, yesNo(a.Applicable), yesNo(a.Recommended), cell(strings.Join(a.Reasons, " ")))
	}
	b.WriteString("\n```mermaid\n")
	b.WriteString(mermaid(sp))
	b.WriteString("```\n")
	if len(sp.Artifacts) > 0 {
		b.WriteString("\nArtifacts:\n\n")
		for _, a := range sp.Artifacts {
			sum := a.SHA256
			if sum == "" {
				sum = "(sensitive, not hashed)"
			}
			fmt.Fprintf(b, "- `%s` (%s, %s) `%s`\n", a.Path, a.Generator, a.Mode, sum)
		}
	}
}

// mermaid draws the chosen topology. Labels hold names (identifiers),
// addresses, NAT names and ports only.
func mermaid(sp *plan.SitePlan) string {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	fmt.Fprintf(&b, "  clients[\"remote clients<br/>%s\"]\n", sp.P2P.ClientNAT)
	fmt.Fprintf(&b, "  router[\"site router<br/>%s\"]\n", sp.P2P.SiteNAT)
	devices := sp.Site.Devices
	for _, d := range devices {
		fmt.Fprintf(&b, "  dev_%s[\"%s<br/>%s\"]\n", mermaidID(d.Name), d.Name, d.IPv4)
	}
	switch sp.Chosen {
	case plan.ModeP2P:
		b.WriteString("  cloud[\"vendor P2P service\"]\n  clients <-->|direct P2P| router\n  router --- cloud\n  clients --- cloud\n")
		linkDevices(&b, devices, "")
	case plan.ModePAT, plan.ModeIPv6:
		if len(sp.Exposures) == 0 {
			fmt.Fprintf(&b, "  clients -->|%s, ports not allocated| router\n", sp.Chosen)
			linkDevices(&b, devices, "")
			break
		}
		for _, e := range sp.Exposures {
			fmt.Fprintf(&b, "  clients -->|\"%s %d\"| router\n", e.Protocol, e.ExternalPort)
			fmt.Fprintf(&b, "  router -->|\"%s %d\"| dev_%s\n", e.Protocol, e.DevicePort, mermaidID(e.Device))
		}
	case plan.ModeVPN:
		b.WriteString("  hub[\"WireGuard hub\"]\n  clients --> hub\n  router ==>|WireGuard, dials out| hub\n")
		linkDevices(&b, devices, "tunnel")
	case plan.ModeAutoRegister:
		b.WriteString("  platform[\"platform\"]\n  clients --> platform\n")
		for _, d := range devices {
			fmt.Fprintf(&b, "  dev_%s ==>|registers, TCP out| platform\n", mermaidID(d.Name))
		}
	case plan.ModeExtraRouter:
		b.WriteString("  line[\"dedicated line and router\"]\n  clients --> line\n")
		for _, d := range devices {
			fmt.Fprintf(&b, "  line --> dev_%s\n", mermaidID(d.Name))
		}
	}
	return b.String()
}

func linkDevices(b *strings.Builder, devices []site.Device, label string) {
	for _, d := range devices {
		if label != "" {
			fmt.Fprintf(b, "  router -->|%s| dev_%s\n", label, mermaidID(d.Name))
		} else {
			fmt.Fprintf(b, "  router --- dev_%s\n", mermaidID(d.Name))
		}
	}
}

// mermaidID turns a name (identifier, may hold '-') into a Mermaid node id.
func mermaidID(name string) string { return strings.ReplaceAll(name, "-", "_") }

// cell keeps policy text (the policies' own words, never site text) inside
// one Markdown table cell, readable in the raw document.
func cell(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "|", "\\|")), " ")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
