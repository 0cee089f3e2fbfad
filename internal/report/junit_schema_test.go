package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// junitXSD is Jenkins xUnit's junit-10.xsd (jenkinsci/xunit-plugin,
// src/main/resources/org/jenkinsci/plugins/xunit/types/model/xsd/junit-10.xsd,
// MIT licence), the strictest JUnit schema CI servers check. It is looked
// for at $READYCTL_JUNIT_XSD, then at testdata/junit-10.xsd.
func junitXSD(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("READYCTL_JUNIT_XSD"), filepath.Join("testdata", "junit-10.xsd")} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skip("junit-10.xsd not found: set READYCTL_JUNIT_XSD or place it at internal/report/testdata/junit-10.xsd")
	return ""
}

// TestJUnitValidatesAgainstJenkinsXSD renders a report holding every status
// (pass, fail, error, skip, pending, waived, not selected) and a section
// gate, and validates it with xmllint against junit-10.xsd.
func TestJUnitValidatesAgainstJenkinsXSD(t *testing.T) {
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("READYCTL_REQUIRE_SERVICES") == "1" {
			t.Fatal("xmllint not found (Debian: libxml2-utils), and READYCTL_REQUIRE_SERVICES=1")
		}
		t.Skip("xmllint not found (Debian: libxml2-utils)")
	}
	xsd := junitXSD(t)
	for name, r := range map[string]*Report{"every status": fixture(), "approvals and run": approvalsFixture()} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := renderJUnit(&buf, r, Options{}); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "report.xml")
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(xmllint, "--noout", "--schema", xsd, path).CombinedOutput()
			if err != nil {
				t.Fatalf("xmllint refuses the report: %v\n%s\n%s", err, out, buf.String())
			}
		})
	}
}

// approvalsFixture blocks on a missing required approval and an
// interruption, so the renderer's approvals and run suites appear.
func approvalsFixture() *Report {
	r := fixture()
	r.Interrupted = true
	r.Signoffs = append(r.Signoffs, Signoff{Type: "approve", Role: "security-lead", State: "missing", Required: true})
	r.Finish([]Section{{ID: "health", Title: "Health Checks"}, {ID: "procedure", Title: "Deployment Procedure"}}, false)
	return r
}

// surefireTime is junit-10.xsd's SUREFIRE_TIME pattern, anchored as XML
// Schema patterns are.
var surefireTime = regexp.MustCompile(`^(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]*)?$`)

// TestJUnitShapeJenkinsAccepts checks, without xmllint, the constraints of
// junit-10.xsd a renderer change is most likely to break: the attributes
// testsuites may carry, the ones testsuite, testcase and property must
// carry, and the time format.
func TestJUnitShapeJenkinsAccepts(t *testing.T) {
	allowed := map[string]map[string]bool{
		"testsuites": set("name", "time", "tests", "failures", "errors"),
		"testsuite":  set("name", "tests", "failures", "errors", "group", "time", "skipped", "timestamp", "hostname", "id", "package", "file", "log", "url"),
		"testcase":   set("name", "time", "classname", "group"),
		"property":   set("name", "value"),
		"failure":    set("type", "message"),
		"error":      set("type", "message"),
		"skipped":    set("type", "message"),
	}
	required := map[string][]string{
		"testsuite": {"name", "tests", "failures", "errors"},
		"testcase":  {"name"},
		"property":  {"name", "value"},
	}
	for name, r := range map[string]*Report{"every status": fixture(), "approvals and run": approvalsFixture()} {
		var buf bytes.Buffer
		if err := renderJUnit(&buf, r, Options{}); err != nil {
			t.Fatal(err)
		}
		dec := xml.NewDecoder(&buf)
		for {
			tok, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			el, ok := tok.(xml.StartElement)
			if !ok {
				continue
			}
			have := map[string]bool{}
			for _, a := range el.Attr {
				have[a.Name.Local] = true
				if ok := allowed[el.Name.Local]; ok != nil && !ok[a.Name.Local] {
					t.Errorf("%s: <%s> may not carry %q", name, el.Name.Local, a.Name.Local)
				}
				if a.Name.Local == "time" && (el.Name.Local == "testsuite" || el.Name.Local == "testsuites") && !surefireTime.MatchString(a.Value) {
					t.Errorf("%s: <%s time=%q> is not a SUREFIRE_TIME", name, el.Name.Local, a.Value)
				}
			}
			for _, a := range required[el.Name.Local] {
				if !have[a] {
					t.Errorf("%s: <%s> lacks required %q", name, el.Name.Local, a)
				}
			}
		}
	}
}

func set(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}
