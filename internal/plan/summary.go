package plan

import "sort"

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
	for _, m := range sortedKeys(modes) {
		s.Chosen = append(s.Chosen, ModeCount{Mode: m, Sites: modes[m]})
	}
	for _, id := range sortedKeys(ids) {
		s.Findings = append(s.Findings, FindingCount{ID: id, Count: ids[id]})
	}
	p.Summary = s
}

// Denied reports whether any site of the run has a denial (exit code 1).
func (p *Plan) Denied() bool { return p.Summary.Denied > 0 }

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
