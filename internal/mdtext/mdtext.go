// Package mdtext makes text safe inside Markdown prose and table cells, for
// every generator and report that writes Markdown.
package mdtext

import "strings"

// markup are the ASCII punctuation characters that can start inline markup,
// HTML or a table cell boundary; CommonMark lets any ASCII punctuation be
// backslash-escaped. '_' is left alone: names hold it, and inside a word it
// never starts emphasis.
const markup = "\\|`*[]<>()!#&~{}\"'"

// Escape keeps v on one line and inert: line breaks and tabs become spaces,
// other control characters are dropped (invisible and meaningless in a
// table), and markup characters are backslash-escaped.
func Escape(v string) string {
	var b strings.Builder
	for _, r := range v {
		switch {
		case r == '\r' || r == '\n' || r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f:
		case strings.ContainsRune(markup, r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
