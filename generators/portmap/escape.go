package portmap

import (
	"fmt"
	"strings"
)

// Every value written into a router format goes through exactly one of these
// functions, one per format, so no input can end a value or a line early.
// The values are identifiers, addresses and numbers today; the functions are
// there so that stays harmless if free text ever reaches them.

// uciQuote quotes v as one UCI value in single quotes; a quote inside closes
// the string, adds an escaped quote and reopens it, as in a shell (UCI
// concatenates adjacent quoted strings). UCI has no
// escape for control characters, so they become '?': a value can never span
// lines.
func uciQuote(v string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range v {
		switch {
		case r == '\'':
			b.WriteString(`'\''`)
		case r < 0x20 || r == 0x7f:
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// rosQuote quotes v as one RouterOS script string: double quotes; `"`, `\`,
// and the substitution characters `$` and `?` escaped with a backslash;
// control characters and non-ASCII bytes written as \HH.
func rosQuote(v string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '"' || c == '\\' || c == '$' || c == '?':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, "\\%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// commentText keeps what may follow a `#` on a comment line of the UCI and
// RouterOS files: a conservative set of characters, everything else '?', so
// nothing can end the comment line.
func commentText(v string) string {
	var b strings.Builder
	for _, r := range v {
		if r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(" ._:/,@+=-", r)) {
			b.WriteRune(r)
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}
