package report

import (
	"bytes"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// fixture is a report with one item of every status, at a fixed time.
func fixture() *Report {
	rate := 0.9
	r := &Report{
		Checklist:   ChecklistInfo{Name: "Production deployment", Path: "checklist.yaml", SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
		Environment: "production",
		StartedAt:   time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC),
		DurationMS:  1234,
		FailOn:      "critical",
		Items: []Item{
			{ID: "auth-service", Section: "health", Title: "Auth Service (port 3001)", Kind: "http", Severity: "critical", Status: Pass, DurationMS: 12, Attempts: 1,
				Observations: map[string]any{"status": 200, "latency": 12 * time.Millisecond, "body": `{"status":"ok"}`}},
			{ID: "core-service", Section: "health", Title: "Core Service (port 3002)", Kind: "http", Severity: "critical", Status: Fail, Reason: "assertion",
				Message: "status == 200: status was 503", DurationMS: 30, Attempts: 3, Observations: map[string]any{"status": 503, "latency": 30 * time.Millisecond}},
			{ID: "postgres", Section: "health", Title: "PostgreSQL", Kind: "tcp", Severity: "critical", Status: Error, Reason: "timeout",
				Message: "no answer within 5s", DurationMS: 5000, Attempts: 1, Observations: map[string]any{"connected": false}},
			{ID: "mcp-server", Section: "health", Title: "MCP Server", Kind: "http", Severity: "critical", Status: Skip, Reason: "dependency",
				Message: `dependency "postgres" did not pass (error)`, Observations: map[string]any{}},
			{ID: "legacy", Section: "health", Title: "Legacy status page", Kind: "http", Severity: "warning", Status: Waived, Reason: "assertion",
				Message: "status 503, expected 2xx", DurationMS: 4, Attempts: 1, Observations: map[string]any{"status": 503},
				Signoff: &Signoff{Type: "waive", Item: "legacy", Role: "operations-lead", Name: "Ada Lovelace", Date: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC), Expires: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), State: "valid", Note: "retired next sprint"}},
			{ID: "notify", Section: "procedure", Title: "Notify stakeholders", Kind: "manual", Severity: "critical", Status: Pending, Reason: "signoff_missing",
				Message: "waiting for a sign-off by project-manager", Observations: map[string]any{}},
			{ID: "filtered", Section: "procedure", Title: "Not selected", Kind: "tcp", Severity: "critical", Status: Skip, Reason: "not_selected", Observations: map[string]any{}},
		},
		Signoffs: []Signoff{{Type: "approve", Role: "qa-lead", Name: "Grace Hopper", Date: time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC), State: "valid"}},
	}
	r.Finish([]Section{{ID: "health", Title: "Health Checks", MinPassRate: &rate}, {ID: "procedure", Title: "Deployment Procedure"}}, true)
	return r
}

func TestVerdictFromFixture(t *testing.T) {
	r := fixture()
	if r.Verdict != NotReady {
		t.Errorf("verdict %s", r.Verdict)
	}
	want := Summary{Total: 7, Pass: 1, Fail: 1, Error: 1, Skip: 2, Pending: 1, Waived: 1}
	if r.Summary != want {
		t.Errorf("summary %+v", r.Summary)
	}
	if s := r.Sections[0]; s.Status != Fail || s.PassRate != 0.5 {
		t.Errorf("health section %+v", s)
	}
}

func TestGolden(t *testing.T) {
	for _, c := range []struct {
		format string
		opts   Options
		file   string
	}{
		{"text", Options{}, "report.txt"},
		{"text", Options{Color: true}, "report.color.txt"},
		{"text", Options{Quiet: true}, "report.quiet.txt"},
		{"json", Options{}, "report.json"},
		{"junit", Options{}, "report.xml"},
		{"markdown", Options{}, "report.md"},
	} {
		t.Run(c.file, func(t *testing.T) {
			render, ok := Lookup(c.format)
			if !ok {
				t.Fatalf("no renderer %q", c.format)
			}
			var buf bytes.Buffer
			if err := render(&buf, fixture(), c.opts); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", c.file)
			if *update {
				os.WriteFile(path, buf.Bytes(), 0o644)
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s differs from %s (go test ./internal/report -update to accept):\n%s", c.format, path, buf.String())
			}
		})
	}
}

func TestJUnitIsWellFormed(t *testing.T) {
	var buf bytes.Buffer
	renderJUnit(&buf, fixture(), Options{})
	var doc junitSuites
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	// 6 selected items and the health section's min_pass_rate; the
	// unselected item is left out.
	if doc.Tests != 7 || doc.Failures != 4 || doc.Errors != 1 || doc.skipped() != 1 || len(doc.Suites) != 2 {
		t.Errorf("counts: %+v", doc)
	}
	if doc.Suites[0].Properties[2].Name != "checklist.sha256" || doc.Suites[0].Cases[1].Failure == nil || doc.Suites[0].Cases[0].Time != "0.012" {
		t.Errorf("suite: %+v", doc.Suites[0])
	}
}

func TestNoColorWithoutOption(t *testing.T) {
	var buf bytes.Buffer
	renderText(&buf, fixture(), Options{})
	if bytes.Contains(buf.Bytes(), []byte("\x1b[")) {
		t.Error("escape codes without Color")
	}
}

// BenchmarkRenderText renders a report of 10,000 passing items (the
// default format of `readyctl check`) and a few failures.
func BenchmarkRenderText(b *testing.B) {
	r := &Report{Checklist: ChecklistInfo{Name: "scale"}}
	for i := range 10000 {
		st := Pass
		if i%1000 == 0 {
			st = Fail
		}
		r.Items = append(r.Items, Item{ID: fmt.Sprintf("item-%d", i), Section: fmt.Sprintf("s%d", i%20), Kind: "http", Severity: "critical", Status: st, Attempts: 1, DurationMS: 51,
			Observations: map[string]any{"status": 200, "latency": 51 * time.Millisecond, "url": "http://127.0.0.1:8080/item"}})
	}
	var sections []Section
	for i := range 20 {
		sections = append(sections, Section{ID: fmt.Sprintf("s%d", i), Title: fmt.Sprint("Section ", i)})
	}
	r.Finish(sections, true)
	b.ReportAllocs()
	for b.Loop() {
		if err := renderText(io.Discard, r, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
