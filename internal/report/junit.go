package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/readyctl/readyctl/checks"
)

func init() { Register("junit", renderJUnit) }

// junitSuites is the root element. It carries no skipped count: Jenkins
// xUnit's junit-10.xsd, the strictest schema CI servers check, refuses
// that attribute on testsuites; each testsuite has its own.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

// skipped totals the suites' skipped cases.
func (s junitSuites) skipped() int {
	n := 0
	for _, suite := range s.Suites {
		n += suite.Skipped
	}
	return n
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

// renderJUnit writes one testsuite per section and one testcase per
// selected item, plus cases for what blocks beyond items (a section's
// min_pass_rate, required approvals, the run itself), so that failures +
// errors are exactly the blockers of Report.Blocking(): the CI test tab is
// red exactly when the exit code says not ready. A problem that does not
// block (a failing warning item, a pending info item) and a waived item are
// skipped with a message.
func renderJUnit(w io.Writer, r *Report, _ Options) error {
	all := junitSuites{Name: r.Checklist.Name, Time: seconds(r.DurationMS)}
	blockers := r.Blocking()
	blocked := blockedSet(blockers)
	stamp := r.StartedAt.UTC().Format(time.RFC3339)
	props := func(extra ...junitProperty) []junitProperty {
		return append([]junitProperty{
			{"checklist.name", r.Checklist.Name},
			{"checklist.path", r.Checklist.Path},
			{"checklist.sha256", r.Checklist.SHA256},
			{"environment", r.Environment},
			{"verdict", r.Verdict},
		}, append(deploymentProperties(r), extra...)...)
	}
	add := func(suite junitSuite) {
		all.Tests += suite.Tests
		all.Failures += suite.Failures
		all.Errors += suite.Errors
		all.Suites = append(all.Suites, suite)
	}
	for _, s := range r.Sections {
		suite := junitSuite{
			Name: s.Title, ID: s.ID, Timestamp: stamp,
			Properties: props(
				junitProperty{"section.status", string(s.Status)},
				junitProperty{"section.pass_rate", fmt.Sprintf("%.4f", s.PassRate)},
			),
		}
		var ms int64
		notSelected := 0
		for _, it := range r.Items {
			if it.Section != s.ID {
				continue
			}
			if it.Reason == checks.ReasonNotSelected {
				notSelected++
				continue
			}
			ms += it.DurationMS
			c := junitCase{Name: it.ID + ": " + it.Title, Classname: s.ID + "." + it.Kind, Time: seconds(it.DurationMS)}
			switch {
			case blocked.items[it.ID] && it.Status == Error:
				c.Error = &junitProblem{Message: it.Message, Type: it.Reason, Text: problemText(it)}
				suite.Errors++
			case blocked.items[it.ID]:
				c.Failure = &junitProblem{Message: it.Message, Type: it.Reason, Text: problemText(it)}
				suite.Failures++
			case it.Status == Pass:
				c.SystemOut = strings.Join(keyObservations(it.Observations, 0), "\n")
			default:
				c.Skipped = &junitProblem{Message: skippedMessage(it)}
				suite.Skipped++
				if problem(it.Status) {
					c.SystemOut = problemText(it)
				}
			}
			suite.Cases = append(suite.Cases, c)
			suite.Tests++
		}
		for _, b := range blockers {
			if b.Section == s.ID && b.Item == "" {
				suite.Cases = append(suite.Cases, junitCase{Name: b.Reason, Classname: s.ID + ".section", Time: seconds(0),
					Failure: &junitProblem{Message: b.String(), Type: b.Reason}})
				suite.Failures++
				suite.Tests++
			}
		}
		if suite.Tests == 0 {
			continue // nothing of this section was selected
		}
		if notSelected > 0 {
			suite.Properties = append(suite.Properties, junitProperty{"section.not_selected", fmt.Sprint(notSelected)})
		}
		suite.Time = seconds(ms)
		add(suite)
	}
	// Required approvals are test cases: a run not ready for a missing
	// approval is red in the CI test tab too.
	approvals := junitSuite{Name: "Required approvals", ID: "approvals", Timestamp: stamp, Properties: props(), Time: seconds(0)}
	seen := map[string]bool{}
	failing := map[string]Blocker{}
	for _, b := range blockers {
		if b.Role != "" {
			failing[b.Role] = b
		}
	}
	approvalCase := func(role string) {
		if seen[role] {
			return
		}
		seen[role] = true
		c := junitCase{Name: "approval: " + role, Classname: "approvals." + role, Time: seconds(0)}
		if b, ok := failing[role]; ok {
			c.Failure = &junitProblem{Message: b.Message, Type: b.Reason}
			approvals.Failures++
		}
		approvals.Cases = append(approvals.Cases, c)
		approvals.Tests++
	}
	for _, so := range r.Signoffs {
		if so.Required {
			approvalCase(so.Role)
		}
	}
	for _, b := range blockers {
		if b.Role != "" {
			approvalCase(b.Role)
		}
	}
	var unnamed []Blocker
	for _, b := range blockers {
		if b.Item == "" && b.Section == "" && b.Role == "" {
			unnamed = append(unnamed, b)
		}
	}
	if approvals.Tests > 0 {
		add(approvals)
	}
	if len(unnamed) > 0 {
		run := junitSuite{Name: "Run", ID: "run", Timestamp: stamp, Properties: props(), Time: seconds(r.DurationMS)}
		for _, b := range unnamed {
			run.Cases = append(run.Cases, junitCase{Name: b.Reason, Classname: "run", Time: seconds(0),
				Failure: &junitProblem{Message: b.Message, Type: b.Reason}})
			run.Failures++
			run.Tests++
		}
		add(run)
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

// skippedMessage says why a case that is not a failure is not a pass.
func skippedMessage(it Item) string {
	if it.Status == Waived {
		return "waived: " + it.Message
	}
	msg := string(it.Status)
	if it.Reason != "" {
		msg += " (" + it.Reason + ")"
	}
	if it.Message != "" {
		msg += ": " + it.Message
	}
	if problem(it.Status) {
		msg = it.Severity + ", does not block: " + msg
	}
	return msg
}

func problemText(it Item) string {
	lines := []string{fmt.Sprintf("%s (%s), severity %s, %d attempt(s)", it.Status, it.Reason, it.Severity, it.Attempts)}
	if it.Message != "" {
		lines = append(lines, it.Message)
	}
	lines = append(lines, keyObservations(it.Observations, 0)...)
	return strings.Join(lines, "\n")
}
