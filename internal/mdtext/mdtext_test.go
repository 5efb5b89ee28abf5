package mdtext

import "testing"

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"plain text 1.2":           "plain text 1.2",
		"a | b":                    `a \| b`,
		"line\nbreak\r\ttab":       "line break  tab",
		"<script>`x`</script>":     `\<script\>\` + "`" + `x\` + "`" + `\</script\>`,
		"[link](http://x) *b* a_b": `\[link\]\(http://x\) \*b\* a_b`,
		"bell\x07":                 "bell",
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}
