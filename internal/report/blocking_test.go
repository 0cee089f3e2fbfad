package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
)

func item(id, sev string, st Status, reason, msg string) Item {
	return Item{ID: id, Section: "s", Title: id, Kind: "http", Severity: sev, Status: st, Reason: reason, Message: msg, Observations: map[string]any{}}
}

func finished(items []Item, signoffs []Signoff, met bool, mut func(*Report)) *Report {
	r := &Report{Checklist: ChecklistInfo{Name: "t", Path: "t.yaml"}, FailOn: "critical", Items: items, Signoffs: signoffs}
	if mut != nil {
		mut(r)
	}
	r.Finish([]Section{{ID: "s", Title: "S"}}, met)
	return r
}

func TestBlockingIsTheVerdictRule(t *testing.T) {
	ok := item("ok", "critical", Pass, "", "")
	for _, c := range []struct {
		name     string
		items    []Item
		signoffs []Signoff
		met      bool
		mut      func(*Report)
		want     []string // Blocker.String()
	}{
		{"all pass", []Item{ok}, nil, true, nil, nil},
		{"critical fail", []Item{ok, item("api", "critical", Fail, "assertion", "status == 200: status was 503")}, nil, true, nil,
			[]string{"api: status was 503"}},
		{"warning fail does not block", []Item{ok, item("w", "warning", Fail, "assertion", "x")}, nil, true, nil, nil},
		{"warning fail blocks under fail-on warning", []Item{ok, item("w", "warning", Fail, "assertion", "status was 503")}, nil, true,
			func(r *Report) { r.FailOn = "warning" }, []string{"w: status was 503"}},
		{"info pending does not block", []Item{ok, item("i", "info", Pending, "signoff_missing", "waiting")}, nil, true, nil, nil},
		{"dependency skip of a critical item", []Item{ok, item("d", "critical", Skip, "dependency", `dependency "db" did not pass (fail)`)}, nil, true, nil,
			[]string{`d: dependency "db" did not pass (fail)`}},
		{"unavailable skip of a critical item: not checked, not ready", []Item{ok, item("redis", "critical", Skip, "unavailable", "redis-server is not installed")}, nil, true, nil,
			[]string{"redis: redis-server is not installed"}},
		{"intrusive skip does not block", []Item{ok, item("load", "critical", Skip, "intrusive_not_allowed", "not opted in")}, nil, true, nil, nil},
		{"required approval of another release", []Item{ok}, []Signoff{{Type: "approve", Role: "qa-lead", State: "other_release", Required: true}}, true, nil,
			[]string{"qa-lead approval other_release"}},
		{"pending: the why, not the hint", []Item{ok, item("smoke", "critical", Pending, "signoff_missing", "waiting for a sign-off by qa-lead: readyctl signoff smoke --role qa-lead")}, nil, true, nil,
			[]string{"smoke: waiting for a sign-off by qa-lead"}},
		{"no items", nil, nil, true, nil, []string{"the checklist has no items"}},
		{"nothing selected", []Item{item("a", "critical", Skip, "not_selected", "")}, nil, true,
			func(r *Report) { r.Selection = &Selection{Phase: "pre-deply"} }, []string{"no item selected by --phase pre-deply"}},
		{"required approval missing", []Item{ok}, []Signoff{{Type: "approve", Role: "qa-lead", State: "missing", Required: true}}, true, nil,
			[]string{"qa-lead approval missing"}},
		{"required approval rejected", []Item{ok}, []Signoff{{Type: "approve", Role: "qa-lead", State: "valid", Decision: "rejected", Required: true}}, true, nil,
			[]string{"qa-lead approval rejected"}},
		{"optional approval missing does not block", []Item{ok}, []Signoff{{Type: "approve", Role: "sre", State: "expired"}}, true, nil, nil},
		{"unmet without Required rows still blocks", []Item{ok}, []Signoff{{Type: "approve", Role: "qa-lead", State: "missing"}}, false, nil,
			[]string{"qa-lead approval missing"}},
		{"interrupted", []Item{ok}, nil, true, func(r *Report) { r.Interrupted = true }, []string{"the run was interrupted"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := finished(c.items, c.signoffs, c.met, c.mut)
			var got []string
			for _, b := range r.Blocking() {
				got = append(got, b.String())
			}
			if strings.Join(got, "|") != strings.Join(c.want, "|") {
				t.Errorf("Blocking() = %q, want %q", got, c.want)
			}
			if want := map[bool]string{true: Ready, false: NotReady}[len(c.want) == 0]; r.Verdict != want {
				t.Errorf("verdict %s, want %s", r.Verdict, want)
			}
		})
	}
}

func TestSectionBelowMinPassRateBlocks(t *testing.T) {
	rate := 0.9
	r := &Report{FailOn: "critical", Items: []Item{item("a", "warning", Pass, "", ""), item("b", "warning", Fail, "assertion", "x")}}
	r.Finish([]Section{{ID: "s", Title: "S", MinPassRate: &rate}}, true)
	bs := r.Blocking()
	if len(bs) != 1 || bs[0].Section != "s" || bs[0].Reason != BlockMinPassRate || bs[0].String() != "section s: 50% passed, needs 90%" {
		t.Errorf("%+v", bs)
	}
}

func render(t *testing.T, format string, r *Report, o Options) string {
	t.Helper()
	f, _ := Lookup(format)
	var buf bytes.Buffer
	if err := f(&buf, r, o); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestJUnitFailuresAreExactlyTheBlockers(t *testing.T) {
	items := []Item{
		item("api", "critical", Pass, "", ""),
		item("legacy", "warning", Fail, "assertion", "status 503, expected 2xx"),
		item("docs", "info", Pending, "signoff_missing", "waiting for a sign-off"),
		item("slow", "info", Error, "timeout", "no answer within 1s"),
	}
	// Everything that can fail does not block, and the approval is there.
	ready := finished(items, []Signoff{{Type: "approve", Role: "qa-lead", State: "valid", Required: true}}, true, nil)
	var doc junitSuites
	if err := xml.Unmarshal([]byte(render(t, "junit", ready, Options{})), &doc); err != nil {
		t.Fatal(err)
	}
	if ready.Verdict != Ready || doc.Failures+doc.Errors != 0 {
		t.Errorf("READY report: verdict %s, junit failures %d errors %d", ready.Verdict, doc.Failures, doc.Errors)
	}
	if doc.skipped() != 3 {
		t.Errorf("non-blocking problems must be skipped, got %d skipped", doc.skipped())
	}
	// Not ready only because a required approval is missing: red in JUnit.
	missing := finished(items, []Signoff{{Type: "approve", Role: "qa-lead", State: "missing", Required: true}}, false, nil)
	out := render(t, "junit", missing, Options{})
	doc = junitSuites{}
	if err := xml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if missing.Verdict != NotReady || doc.Failures+doc.Errors != len(missing.Blocking()) || doc.Failures != 1 {
		t.Errorf("approval missing: verdict %s, failures %d errors %d, blockers %v", missing.Verdict, doc.Failures, doc.Errors, missing.Blocking())
	}
	if !strings.Contains(out, `name="approval: qa-lead"`) || !strings.Contains(out, "qa-lead approval missing") {
		t.Errorf("no approval test case:\n%s", out)
	}
	// Nothing selected: red too, though no item failed.
	none := finished([]Item{item("a", "critical", Skip, "not_selected", "")}, nil, true, nil)
	doc = junitSuites{}
	xml.Unmarshal([]byte(render(t, "junit", none, Options{})), &doc)
	if doc.Failures != 1 {
		t.Errorf("nothing selected: %d failures", doc.Failures)
	}
}

func TestUnselectedItemsLeftOutExceptJSON(t *testing.T) {
	r := &Report{FailOn: "critical", Items: []Item{
		item("picked", "critical", Pass, "", ""),
		{ID: "hidden-one", Section: "other", Title: "hidden-one", Severity: "critical", Status: Skip, Reason: "not_selected", Observations: map[string]any{}},
	}}
	r.Finish([]Section{{ID: "s", Title: "Picked"}, {ID: "other", Title: "Only unselected"}}, true)
	for _, f := range []string{"text", "markdown", "junit"} {
		out := render(t, f, r, Options{})
		if strings.Contains(out, "hidden-one") || strings.Contains(out, "Only unselected") {
			t.Errorf("%s shows an unselected item or its section:\n%s", f, out)
		}
	}
	if out := render(t, "text", r, Options{}); !strings.Contains(out, "1 not selected") {
		t.Errorf("text summary does not count unselected items:\n%s", out)
	}
	if out := render(t, "markdown", r, Options{}); strings.Count(out, "100%") != 1 || !strings.Contains(out, "1 not selected") {
		t.Errorf("markdown:\n%s", out)
	}
	var back Report
	if err := json.Unmarshal([]byte(render(t, "json", r, Options{})), &back); err != nil || len(back.Items) != 2 {
		t.Errorf("JSON must keep every item: %v %d", err, len(back.Items))
	}
}

func TestNonBlockingProblemIsNotRed(t *testing.T) {
	r := &Report{FailOn: "critical", Items: []Item{
		item("api", "critical", Pass, "", ""),
		item("legacy", "warning", Fail, "assertion", "status 503"),
	}}
	r.Finish([]Section{{ID: "s", Title: "Health"}}, true)
	out := render(t, "text", r, Options{Color: true})
	if strings.Contains(out, ansiRed) {
		t.Errorf("a ready report whose only problem is a warning drawn red:\n%q", out)
	}
	if md := render(t, "markdown", r, Options{}); strings.Contains(md, "### ✗") {
		t.Errorf("markdown section drawn as failed:\n%s", md)
	}
	r.FailOn = "warning"
	r.Finish([]Section{{ID: "s", Title: "Health"}}, true)
	if out := render(t, "text", r, Options{Color: true}); !strings.Contains(out, ansiRed+symbols[Fail]) {
		t.Errorf("under --fail-on warning the section blocks and is red:\n%q", out)
	}
}

const hostile = "![x](https://evil.example/p.png) <img src=x onerror=alert(1)> [click](http://evil.example) " +
	"https://evil.example www.evil.example a@evil.example **bold** `code` | cell \x1b]0;pwned\x07\x1b[2J\x00\b\r\x9b\u009b\u202e"

func hostileReport() *Report {
	r := &Report{Checklist: ChecklistInfo{Name: "t"}, FailOn: "critical", Items: []Item{
		item("api", "critical", Fail, "assertion", hostile),
	}}
	r.Items[0].Title = "title " + hostile
	r.Signoffs = []Signoff{{Type: "approve", Role: "qa", Name: hostile, Note: hostile, State: "valid"}}
	r.Finish([]Section{{ID: "s", Title: "S"}}, true)
	return r
}

func TestMarkdownEscapesWhatCameFromATarget(t *testing.T) {
	out := render(t, "markdown", hostileReport(), Options{})
	for _, bad := range []string{"](", "<img", "https://", "http://", "www.evil", "a@evil", "**bold**", "`code`", " | cell", "\x1b", "\x07", "\x00", "\b", "\r", "\x9b", "\u009b", "\u202e"} {
		if strings.Contains(out, bad) {
			t.Errorf("markdown contains %q:\n%s", bad, out)
		}
	}
	// Rendered, `\\x1b\]` reads \x1b].
	if !strings.Contains(out, `\\x1b\]0;pwned\\x07`) {
		t.Errorf("control characters not shown as escapes:\n%s", out)
	}
}

func TestTextEscapesTerminalControls(t *testing.T) {
	for _, o := range []Options{{}, {Color: true, Verbose: true}} {
		out := render(t, "text", hostileReport(), o)
		if o.Color {
			out = strings.NewReplacer(ansiReset, "", ansiBold, "", ansiDim, "", ansiRed, "", ansiGreen, "", ansiYellow, "", ansiBlue, "", ansiPurple, "").Replace(out)
		}
		for _, bad := range []string{"\x1b", "\x07", "\x00", "\b", "\r", "\x9b", "\u009b", "\u202e"} {
			if strings.Contains(out, bad) {
				t.Errorf("text (%+v) contains %q:\n%q", o, bad, out)
			}
		}
		if !strings.Contains(out, `\x1b]0;pwned\x07\x1b[2J\x00\x08\r\x9b\u009b\u202e`) {
			t.Errorf("escapes not shown:\n%s", out)
		}
	}
}

// A section whose items passed but one was left unchecked by a failed
// dependency blocks: it is not drawn as passed.
func TestBlockingSectionIsNeverGreen(t *testing.T) {
	r := &Report{FailOn: "critical", Items: []Item{
		item("db", "critical", Fail, "assertion", "x"),
		{ID: "api", Section: "other", Title: "api", Severity: "critical", Status: Skip, Reason: "dependency", Message: `dependency "db" did not pass (fail)`},
		{ID: "web", Section: "other", Title: "web", Severity: "critical", Status: Pass},
	}}
	r.Finish([]Section{{ID: "s", Title: "DB"}, {ID: "other", Title: "Apps"}}, true)
	if out := render(t, "text", r, Options{Color: true}); !strings.Contains(out, ansiRed+symbols[Fail]+ansiReset+" "+ansiBold+"Apps") {
		t.Errorf("blocking section not drawn failed:\n%q", out)
	}
	if md := render(t, "markdown", r, Options{}); !strings.Contains(md, "### ✗ Apps") {
		t.Errorf("markdown:\n%s", md)
	}
}
