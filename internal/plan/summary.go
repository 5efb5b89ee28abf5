package plan

import (
	"maps"
	"slices"
)

// Summarize computes the run's summary from its site plans.
func (p *Plan) Summarize() {
	s := Summary{Sites: len(p.Sites), Chosen: []ModeCount{}, Findings: []FindingCount{}}
	modes := map[string]int{}
	ids := map[string]int{}
	for _, sp := range p.Sites {
		if sp.Denied() {
			s.Denied++
		}
		modes[sp.Chosen]++
		for _, f := range sp.Findings {
			ids[f.ID]++
		}
		s.Artifacts += len(sp.Artifacts)
	}
	for _, m := range slices.Sorted(maps.Keys(modes)) {
		s.Chosen = append(s.Chosen, ModeCount{Mode: m, Sites: modes[m]})
	}
	for _, id := range slices.Sorted(maps.Keys(ids)) {
		s.Findings = append(s.Findings, FindingCount{ID: id, Count: ids[id]})
	}
	p.Summary = s
}

// Denied reports whether any site of the run has a denial (exit code 1).
func (p *Plan) Denied() bool { return p.Summary.Denied > 0 }
