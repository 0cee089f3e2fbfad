package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
)

func init() { Register("junit", renderJUnit) }

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	ID         string          `xml:"id,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitProblem `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

func seconds(ms int64) string { return fmt.Sprintf("%.3f", float64(ms)/1000) }

// renderJUnit writes one testsuite per section and one testcase per item.
// A pending item is a failure (it blocks like one); a waived item is
// skipped with the waiver as its message.
func renderJUnit(w io.Writer, r *Report, _ Options) error {
	all := junitSuites{Name: r.Checklist.Name, Time: seconds(r.DurationMS)}
	for _, s := range r.Sections {
		suite := junitSuite{
			Name: s.Title, ID: s.ID, Timestamp: r.StartedAt.UTC().Format(time.RFC3339),
			Properties: []junitProperty{
				{"checklist.name", r.Checklist.Name},
				{"checklist.path", r.Checklist.Path},
				{"checklist.sha256", r.Checklist.SHA256},
				{"environment", r.Environment},
				{"verdict", r.Verdict},
				{"section.status", string(s.Status)},
				{"section.pass_rate", fmt.Sprintf("%.4f", s.PassRate)},
			},
		}
		var ms int64
		for _, it := range r.Items {
			if it.Section != s.ID {
				continue
			}
			ms += it.DurationMS
			c := junitCase{Name: it.ID + ": " + it.Title, Classname: s.ID + "." + it.Kind, Time: seconds(it.DurationMS)}
			detail := problemText(it)
			switch it.Status {
			case Fail, Pending:
				c.Failure = &junitProblem{Message: it.Message, Type: it.Reason, Text: detail}
				suite.Failures++
			case Error:
				c.Error = &junitProblem{Message: it.Message, Type: it.Reason, Text: detail}
				suite.Errors++
			case Skip, Waived:
				msg := it.Reason
				if it.Message != "" {
					msg += ": " + it.Message
				}
				if it.Status == Waived {
					msg = "waived: " + it.Message
				}
				c.Skipped = &junitProblem{Message: msg}
				suite.Skipped++
			}
			if it.Status == Pass {
				c.SystemOut = strings.Join(keyObservations(it.Observations, 0), "\n")
			}
			suite.Cases = append(suite.Cases, c)
			suite.Tests++
		}
		suite.Time = seconds(ms)
		all.Tests += suite.Tests
		all.Failures += suite.Failures
		all.Errors += suite.Errors
		all.Skipped += suite.Skipped
		all.Suites = append(all.Suites, suite)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(all); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func problemText(it Item) string {
	lines := []string{fmt.Sprintf("%s (%s), severity %s, %d attempt(s)", it.Status, it.Reason, it.Severity, it.Attempts)}
	if it.Message != "" {
		lines = append(lines, it.Message)
	}
	lines = append(lines, keyObservations(it.Observations, 0)...)
	return strings.Join(lines, "\n")
}
