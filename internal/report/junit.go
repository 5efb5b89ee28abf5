package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/p2pplan/p2pplan/internal/plan"
)

// junitWriter makes one test case per site (SPEC §7): a site with a denial
// fails, the others pass with their findings in system-out, so a CI
// dashboard shows which site stopped the pipeline.
type junitWriter struct{}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	ClassName string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

func (junitWriter) Write(w io.Writer, p *plan.Plan) error {
	suite := junitSuite{Name: "p2pplan", Tests: len(p.Sites)}
	for _, sp := range p.Sites {
		c := junitCase{ClassName: sp.File, Name: sp.Name}
		var out strings.Builder
		fmt.Fprintf(&out, "path %s; chosen %s\n", sp.P2P.Path, sp.Chosen)
		for _, f := range sp.Findings {
			fmt.Fprintf(&out, "%s [%s] %s (%s:%d)\n", f.ID, f.Severity, f.Title, f.Source.File, f.Source.Line)
		}
		c.SystemOut = out.String()
		if sp.Denied() {
			suite.Failures++
			var ids, text []string
			for _, d := range sp.Denials {
				ids = append(ids, d.ID)
				text = append(text, fmt.Sprintf("%s %s (%s:%d)", d.ID, d.Reason, d.Source.File, d.Source.Line))
			}
			c.Failure = &junitFailure{Message: "denied: " + strings.Join(ids, ", "), Type: "denied", Text: strings.Join(text, "\n")}
		}
		suite.Cases = append(suite.Cases, c)
	}
	doc := junitSuites{Tests: suite.Tests, Failures: suite.Failures, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
