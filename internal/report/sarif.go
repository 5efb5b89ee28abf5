package report

import (
	"encoding/json"
	"io"
	"sort"

	"github.com/p2pplan/p2pplan/internal/plan"
)

// sarifWriter maps findings to SARIF 2.1.0 results whose rule IDs are the
// catalogue's (SPEC §7), so code-scanning tools show them on the site file.
type sarifWriter struct{}

type sarifLog struct {
	Version string     `json:"version"`
	Schema  string     `json:"$schema"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name  string      `json:"name"`
	Rules []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID               string       `json:"id"`
	ShortDescription sarifText    `json:"shortDescription"`
	Properties       sarifRuleSev `json:"properties"`
}

type sarifRuleSev struct {
	Severity string `json:"p2pplan-severity"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

type sarifLocation struct {
	Physical sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	Artifact sarifArtifact `json:"artifactLocation"`
	Region   sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

// sarifLevel maps the catalogue's severities onto SARIF's three levels.
var sarifLevel = map[string]string{"denied": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}

func (sarifWriter) Write(w io.Writer, p *plan.Plan) error {
	rules := map[string]sarifRule{}
	run := sarifRun{Tool: sarifTool{Driver: sarifDriver{Name: "p2pplan"}}, Results: []sarifResult{}}
	for _, sp := range p.Sites {
		for _, f := range sp.Findings {
			rules[f.ID] = sarifRule{ID: f.ID, ShortDescription: sarifText{f.Title}, Properties: sarifRuleSev{f.Severity}}
			run.Results = append(run.Results, sarifResult{
				RuleID:  f.ID,
				Level:   sarifLevel[f.Severity],
				Message: sarifText{"site " + sp.Name + ": " + f.Detail + " Remediation: " + f.Remediation},
				Locations: []sarifLocation{{Physical: sarifPhysical{
					Artifact: sarifArtifact{URI: f.Source.File},
					Region:   sarifRegion{StartLine: max(f.Source.Line, 1), StartColumn: f.Source.Column},
				}}},
			})
		}
	}
	ids := make([]string, 0, len(rules))
	for id := range rules {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	run.Tool.Driver.Rules = []sarifRule{}
	for _, id := range ids {
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, rules[id])
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(sarifLog{
		Version: "2.1.0",
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Runs:    []sarifRun{run},
	})
}
