package site

import (
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// siteInstance is one site to decode from a site block: the block itself,
// or one element of its for_each.
type siteInstance struct {
	name string
	ctx  *hcl.EvalContext
}

var forEachSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{{Name: "for_each"}}}

// expandSite returns the sites a block describes. Without for_each it is the
// block itself. With `for_each = <map or set of strings>`, as in Terraform,
// there is one site per key, named "<label>-<key>", decoded with each.key
// and each.value in scope; keys are taken in sorted order.
func expandSite(blk *hcl.Block, ctx *hcl.EvalContext) ([]siteInstance, hcl.Diagnostics) {
	label := blk.Labels[0]
	content, _, diags := blk.Body.PartialContent(forEachSchema)
	attr, ok := content.Attributes["for_each"]
	if !ok {
		return []siteInstance{{name: label, ctx: ctx}}, diags
	}
	bad := func(detail string) hcl.Diagnostics {
		return append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid for_each argument",
			Detail:   detail,
			Subject:  attr.Expr.Range().Ptr(),
		})
	}
	v, d := attr.Expr.Value(ctx)
	diags = append(diags, d...)
	if d.HasErrors() {
		return nil, diags
	}
	if v.IsNull() || !v.IsWhollyKnown() {
		return nil, bad("for_each must be a known map, or a set or list of strings.")
	}
	elems := map[string]cty.Value{}
	ty := v.Type()
	switch {
	case ty.IsMapType() || ty.IsObjectType():
		for it := v.ElementIterator(); it.Next(); {
			k, val := it.Element()
			elems[k.AsString()] = val
		}
	case ty.IsSetType() || ty.IsListType() || ty.IsTupleType():
		for it := v.ElementIterator(); it.Next(); {
			_, val := it.Element()
			if val.IsNull() || val.Type() != cty.String {
				return nil, bad("for_each over a set or list needs strings, one per site.")
			}
			if _, dup := elems[val.AsString()]; dup {
				return nil, bad(fmt.Sprintf("for_each holds %q twice; each key makes one site.", val.AsString()))
			}
			elems[val.AsString()] = val
		}
	default:
		return nil, bad(fmt.Sprintf("for_each must be a map, or a set or list of strings, not %s.", ty.FriendlyName()))
	}
	keys := make([]string, 0, len(elems))
	for k := range elems {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]siteInstance, 0, len(keys))
	for _, k := range keys {
		child := ctx.NewChild()
		child.Variables = map[string]cty.Value{
			"each": cty.ObjectVal(map[string]cty.Value{"key": cty.StringVal(k), "value": elems[k]}),
		}
		out = append(out, siteInstance{name: label + "-" + k, ctx: child})
	}
	return out, diags
}
