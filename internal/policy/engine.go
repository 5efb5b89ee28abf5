package policy

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/p2pplan/p2pplan/internal/measurement"
	"github.com/p2pplan/p2pplan/internal/plan"
	"github.com/p2pplan/p2pplan/internal/site"
)

// DecisionQuery is the policies' entry point (docs/policy-contract.md).
const DecisionQuery = "data.p2pplan.decision"

// Engine is the compiled policies with the decision query prepared once.
// It is safe for concurrent use: workers share it.
type Engine struct {
	query rego.PreparedEvalQuery
}

// Compile compiles the policies (tests excluded) and prepares the query.
func Compile(ctx context.Context, src *Source) (*Engine, error) {
	opts := []func(*rego.Rego){
		rego.Query(DecisionQuery),
		rego.Store(inmem.NewFromObject(src.Data)),
		rego.SetRegoVersion(ast.RegoV1),
		// A policy error (e.g. a conflict between two rules) must stop the
		// run rather than leave a value undefined.
		rego.StrictBuiltinErrors(true),
	}
	for _, name := range slices.Sorted(maps.Keys(src.Modules)) {
		opts = append(opts, rego.Module(name, src.Modules[name]))
	}
	pq, err := rego.New(opts...).PrepareForEval(ctx)
	if err != nil {
		return nil, fmt.Errorf("compiling policies: %w", err)
	}
	return &Engine{query: pq}, nil
}

// input is the policy input of one site.
type input struct {
	Site        *site.Site               `json:"site"`
	Measurement *measurement.Measurement `json:"measurement"`
}

// decision mirrors data.p2pplan.decision.
type decision struct {
	P2P          *plan.P2P          `json:"p2p"`
	Findings     []plan.Finding     `json:"findings"`
	Denials      []plan.Denial      `json:"denials"`
	Alternatives []plan.Alternative `json:"alternatives"`
	Chosen       string             `json:"chosen"`
	Request      *plan.Request      `json:"request"`
	Checklist    []plan.Step        `json:"checklist"`
}

// allModes is the order of alternatives in every plan.
var allModes = []string{
	plan.ModeP2P, plan.ModeVPN, plan.ModeAutoRegister, plan.ModeIPv6,
	plan.ModePAT, plan.ModeExtraRouter, plan.ModeDMZ, plan.ModeUPnP,
}

// Decide evaluates the policies for one site. It fails closed: an undefined
// decision, a missing alternative, or a chosen mode that is not applicable,
// is dmz or is upnp is an error, never a plan.
func (e *Engine) Decide(ctx context.Context, s *site.Site) (*plan.SitePlan, error) {
	rs, err := e.query.Eval(ctx, rego.EvalInput(input{Site: s, Measurement: s.Measurement}))
	if err != nil {
		return nil, fmt.Errorf("site %q: evaluating policies: %w", s.Name, err)
	}
	if len(rs) != 1 || len(rs[0].Expressions) != 1 {
		return nil, fmt.Errorf("site %q: the policies gave no decision (%s is undefined)", s.Name, DecisionQuery)
	}
	raw, err := json.Marshal(rs[0].Expressions[0].Value)
	if err != nil {
		return nil, err
	}
	var d decision
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("site %q: the decision does not follow the policy contract: %w", s.Name, err)
	}
	sp := &plan.SitePlan{
		Site:        s,
		Measurement: s.Measurement,
		Name:        s.Name,
		File:        s.File,
		Chosen:      d.Chosen,
		Request:     d.Request,
		Checklist:   d.Checklist,
		Denials:     d.Denials,
		Findings:    make([]plan.Finding, 0, len(d.Findings)),
		Artifacts:   []plan.Artifact{},
	}
	if d.P2P == nil {
		return nil, fmt.Errorf("site %q: the decision has no p2p verdict", s.Name)
	}
	sp.P2P = *d.P2P
	for _, f := range d.Findings {
		f.Source = s.SourceOf(f.Field)
		sp.Findings = append(sp.Findings, f)
	}
	if sp.Denials == nil {
		sp.Denials = []plan.Denial{}
	}
	for i := range sp.Denials {
		sp.Denials[i].Source = s.SourceOf(sp.Denials[i].Field)
	}
	enforceDMZDenial(sp)
	if err := mapAlternatives(sp, d.Alternatives); err != nil {
		return nil, err
	}
	sortFindings(sp.Findings)
	sort.SliceStable(sp.Denials, func(i, j int) bool {
		a, b := sp.Denials[i], sp.Denials[j]
		return a.ID < b.ID || a.ID == b.ID && a.Field < b.Field
	})
	return sp, nil
}

// enforceDMZDenial checks the DMZ refusal in Go as well as in Rego (field
// guide: DMZ "exposes every port"; SPEC §5 "denied, whoever asks"): an
// operator's policy override can never let a DMZ through.
func enforceDMZDenial(sp *plan.SitePlan) {
	s := sp.Site
	var field string
	switch {
	case s.Request == plan.ModeDMZ:
		field = "request"
	case s.Router.DMZHost != "":
		field = "router.dmz_host"
	default:
		return
	}
	for _, d := range sp.Denials {
		if d.ID == "SEC-001" {
			return
		}
	}
	sp.Denials = append(sp.Denials, plan.Denial{
		ID:     "SEC-001",
		Reason: "DMZ forwards every port to one device; p2pplan refuses it whatever the policies say.",
		Field:  field,
		Source: s.SourceOf(field),
	})
}

func mapAlternatives(sp *plan.SitePlan, alts []plan.Alternative) error {
	byMode := map[string]plan.Alternative{}
	for _, a := range alts {
		byMode[a.Mode] = a
	}
	for _, m := range allModes {
		a, ok := byMode[m]
		if !ok {
			return fmt.Errorf("site %q: the decision has no alternative %q", sp.Name, m)
		}
		if a.Reasons == nil {
			a.Reasons = []string{}
		}
		if m == plan.ModeDMZ || m == plan.ModeUPnP {
			a.Applicable = false // never, whatever the policies say
		}
		sp.Alternatives = append(sp.Alternatives, a)
	}
	chosen, ok := byMode[sp.Chosen]
	switch {
	case sp.Chosen == "":
		return fmt.Errorf("site %q: the policies chose no mode", sp.Name)
	case sp.Chosen == plan.ModeDMZ || sp.Chosen == plan.ModeUPnP:
		return fmt.Errorf("site %q: the policies chose %q, which p2pplan never generates", sp.Name, sp.Chosen)
	case !ok || !chosen.Applicable:
		return fmt.Errorf("site %q: the policies chose %q, which is not applicable", sp.Name, sp.Chosen)
	}
	return nil
}

var severityRank = func() map[string]int {
	m := map[string]int{}
	for i, s := range plan.Severities {
		m[s] = i
	}
	return m
}()

func sortFindings(fs []plan.Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if ra, rb := severityRank[a.Severity], severityRank[b.Severity]; ra != rb {
			return ra < rb
		}
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		return a.Field < b.Field
	})
}
