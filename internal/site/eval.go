package site

import (
	"fmt"
	"maps"
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// functions are the cty standard functions under the names Terraform users
// know, so one file can describe many similar sites.
var functions = map[string]function.Function{
	"abs": stdlib.AbsoluteFunc, "ceil": stdlib.CeilFunc, "chomp": stdlib.ChompFunc,
	"chunklist": stdlib.ChunklistFunc, "coalesce": stdlib.CoalesceFunc,
	"coalescelist": stdlib.CoalesceListFunc, "compact": stdlib.CompactFunc,
	"concat": stdlib.ConcatFunc, "contains": stdlib.ContainsFunc,
	"csvdecode": stdlib.CSVDecodeFunc, "distinct": stdlib.DistinctFunc,
	"element": stdlib.ElementFunc, "flatten": stdlib.FlattenFunc, "floor": stdlib.FloorFunc,
	"format": stdlib.FormatFunc, "formatlist": stdlib.FormatListFunc,
	"indent": stdlib.IndentFunc, "index": stdlib.IndexFunc, "join": stdlib.JoinFunc,
	"jsondecode": stdlib.JSONDecodeFunc, "jsonencode": stdlib.JSONEncodeFunc,
	"keys": stdlib.KeysFunc, "length": stdlib.LengthFunc, "log": stdlib.LogFunc,
	"lookup": stdlib.LookupFunc, "lower": stdlib.LowerFunc, "max": stdlib.MaxFunc,
	"merge": stdlib.MergeFunc, "min": stdlib.MinFunc, "parseint": stdlib.ParseIntFunc,
	"pow": stdlib.PowFunc, "range": stdlib.RangeFunc, "regex": stdlib.RegexFunc,
	"regexall": stdlib.RegexAllFunc, "replace": stdlib.ReplaceFunc,
	"reverse": stdlib.ReverseListFunc, "setintersection": stdlib.SetIntersectionFunc,
	"setproduct": stdlib.SetProductFunc, "setsubtract": stdlib.SetSubtractFunc,
	"setunion": stdlib.SetUnionFunc, "signum": stdlib.SignumFunc, "slice": stdlib.SliceFunc,
	"sort": stdlib.SortFunc, "split": stdlib.SplitFunc, "strlen": stdlib.StrlenFunc,
	"substr": stdlib.SubstrFunc, "title": stdlib.TitleFunc, "trim": stdlib.TrimFunc,
	"trimprefix": stdlib.TrimPrefixFunc, "trimspace": stdlib.TrimSpaceFunc,
	"trimsuffix": stdlib.TrimSuffixFunc, "upper": stdlib.UpperFunc,
	"values": stdlib.ValuesFunc, "zipmap": stdlib.ZipmapFunc,
	"try": tryfunc.TryFunc, "can": tryfunc.CanFunc,
	// Terraform's type conversions, e.g. for_each = toset([...]).
	"tobool": stdlib.MakeToFunc(cty.Bool), "tonumber": stdlib.MakeToFunc(cty.Number),
	"tostring": stdlib.MakeToFunc(cty.String),
	"tolist":   stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
	"toset":    stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)),
	"tomap":    stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
}

var fileSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
		{Type: "site", LabelNames: []string{"name"}},
	},
}

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "default"},
		{Name: "description"},
		{Name: "type"},
	},
}

// fileContext evaluates a file's `variable` defaults and `locals` into the
// evaluation context its sites are decoded with.
func fileContext(content *hcl.BodyContent) (*hcl.EvalContext, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	vars := map[string]cty.Value{}
	varRanges := map[string]hcl.Range{}
	for _, blk := range content.Blocks {
		if blk.Type != "variable" {
			continue
		}
		name := blk.Labels[0]
		if prev, dup := varRanges[name]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate variable",
				Detail:   fmt.Sprintf("A variable named %q was already declared at %s.", name, prev),
				Subject:  blk.LabelRanges[0].Ptr(),
			})
			continue
		}
		varRanges[name] = blk.DefRange
		vc, d := blk.Body.Content(variableSchema)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		ty := cty.DynamicPseudoType
		if attr, ok := vc.Attributes["type"]; ok {
			t, d := typeexpr.TypeConstraint(attr.Expr)
			diags = append(diags, d...)
			if d.HasErrors() {
				continue
			}
			ty = t
		}
		attr, ok := vc.Attributes["default"]
		if !ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Variable without a default",
				Detail:   fmt.Sprintf("Variable %q has no default; p2pplan takes variables from their defaults only.", name),
				Subject:  blk.DefRange.Ptr(),
			})
			continue
		}
		// Defaults are constants, as in Terraform.
		v, d := attr.Expr.Value(nil)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		cv, err := convert.Convert(v, ty)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid default value for variable",
				Detail:   fmt.Sprintf("The default of variable %q does not match its type: %s.", name, err),
				Subject:  attr.Expr.Range().Ptr(),
			})
			continue
		}
		vars[name] = cv
	}

	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": cty.ObjectVal(vars)},
		Functions: functions,
	}

	// Locals may refer to each other in any order: evaluate those whose
	// references are resolved until none is left, then report the rest as
	// a cycle or an unknown local.
	pending := map[string]*hcl.Attribute{}
	for _, blk := range content.Blocks {
		if blk.Type != "locals" {
			continue
		}
		attrs, d := blk.Body.JustAttributes()
		diags = append(diags, d...)
		for name, attr := range attrs {
			if prev, dup := pending[name]; dup {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Duplicate local value",
					Detail:   fmt.Sprintf("A local value named %q was already defined at %s.", name, prev.NameRange),
					Subject:  attr.NameRange.Ptr(),
				})
				continue
			}
			pending[name] = attr
		}
	}
	locals := map[string]cty.Value{}
	for len(pending) > 0 {
		progress := false
		for _, name := range slices.Sorted(maps.Keys(pending)) {
			attr := pending[name]
			if waitsOnPending(attr.Expr, pending) {
				continue
			}
			ctx.Variables["local"] = cty.ObjectVal(locals)
			v, d := attr.Expr.Value(ctx)
			diags = append(diags, d...)
			if d.HasErrors() {
				v = cty.DynamicVal
			}
			locals[name] = v
			delete(pending, name)
			progress = true
		}
		if !progress {
			for _, name := range slices.Sorted(maps.Keys(pending)) {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Cycle in local values",
					Detail:   fmt.Sprintf("Local value %q depends on itself through other local values.", name),
					Subject:  pending[name].NameRange.Ptr(),
				})
			}
			break
		}
	}
	ctx.Variables["local"] = cty.ObjectVal(locals)
	return ctx, diags
}

// waitsOnPending reports whether expr refers to a local that is not yet
// evaluated; a local referring to itself waits forever and is reported as a
// cycle.
func waitsOnPending(expr hcl.Expression, pending map[string]*hcl.Attribute) bool {
	for _, tr := range expr.Variables() {
		if tr.RootName() != "local" || len(tr) < 2 {
			continue
		}
		if step, ok := tr[1].(hcl.TraverseAttr); ok {
			if _, waiting := pending[step.Name]; waiting {
				return true
			}
		}
	}
	return false
}
