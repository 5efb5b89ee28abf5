package nftables

import (
	"net/netip"
	"slices"
)

// addrRange is an inclusive range of addresses of one family.
type addrRange struct{ from, to netip.Addr }

// lastAddr is the last address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	p = p.Masked()
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// mergeRanges turns prefixes of one family into sorted, disjoint and
// non-adjacent ranges: the form the kernel's interval set holds.
func mergeRanges(ps []netip.Prefix) []addrRange {
	rs := make([]addrRange, 0, len(ps))
	for _, p := range ps {
		rs = append(rs, addrRange{p.Masked().Addr(), lastAddr(p)})
	}
	slices.SortFunc(rs, func(a, b addrRange) int { return a.from.Compare(b.from) })
	var out []addrRange
	for _, r := range rs {
		if n := len(out); n > 0 {
			last := &out[n-1]
			next := last.to.Next()
			// Overlapping or adjacent (next is invalid past the last address).
			if r.from.Compare(last.to) <= 0 || (next.IsValid() && r.from == next) {
				if r.to.Compare(last.to) > 0 {
					last.to = r.to
				}
				continue
			}
		}
		out = append(out, r)
	}
	return out
}

// rangePrefixes is the smallest list of prefixes covering r exactly.
func rangePrefixes(r addrRange) []netip.Prefix {
	var out []netip.Prefix
	from := r.from
	for {
		bits := from.BitLen()
		// Widen while the prefix still starts at from and ends inside r.
		for bits > 0 {
			p := netip.PrefixFrom(from, bits-1)
			if p.Masked().Addr() != from || lastAddr(p).Compare(r.to) > 0 {
				break
			}
			bits--
		}
		p := netip.PrefixFrom(from, bits)
		out = append(out, p)
		end := lastAddr(p)
		if end.Compare(r.to) >= 0 {
			return out
		}
		from = end.Next()
	}
}

// NormalizePrefixes returns the canonical form of a list of prefixes of one
// family: masked, overlaps and adjacent blocks merged, the result covered by
// the fewest prefixes, sorted. Sets hold this form so that a set read back
// from the kernel (which stores merged ranges) prints identically.
func NormalizePrefixes(ps []netip.Prefix) []netip.Prefix {
	var out []netip.Prefix
	for _, r := range mergeRanges(ps) {
		out = append(out, rangePrefixes(r)...)
	}
	return out
}
