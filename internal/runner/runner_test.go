package runner_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/report"
	"github.com/readyctl/readyctl/internal/runner"
)

// fake is a test-only probe kind whose behaviour the checklist sets.
type fake struct {
	Mode  string        `yaml:"mode"` // pass, fail, error, panic, hang, flaky, value
	Delay time.Duration `yaml:"delay"`
	Value int           `yaml:"value"`
	Key   string        `yaml:"key"`
}

var (
	flakyCalls  = map[string]*atomic.Int64{}
	running     atomic.Int64
	maxParallel atomic.Int64
)

func (f *fake) Validate() error { return nil }

func (f *fake) Run(ctx context.Context) (checks.Observations, error) {
	n := running.Add(1)
	defer running.Add(-1)
	for {
		m := maxParallel.Load()
		if n <= m || maxParallel.CompareAndSwap(m, n) {
			break
		}
	}
	select {
	case <-time.After(f.Delay):
	case <-ctx.Done():
		return checks.Observations{"partial": true}, ctx.Err()
	}
	obs := checks.Observations{"value": f.Value, "latency": f.Delay}
	switch f.Mode {
	case "fail":
		return obs, checks.Fail("", "value %d is wrong", f.Value)
	case "error":
		return obs, fmt.Errorf("dial: %w", errors.New("boom"))
	case "panic":
		panic("probe bug")
	case "hang":
		<-ctx.Done()
		return obs, ctx.Err()
	case "flaky":
		if flakyCalls[f.Key].Add(1) < 3 {
			return obs, checks.Fail("", "not yet")
		}
	case "seq":
		if next(f.Key) == 'f' {
			return obs, checks.Fail("", "value %d is wrong", f.Value)
		}
	}
	return obs, nil
}

// Test kinds are registered once per test binary, never per test run:
// Register panics on a second registration (go test -count=3).
func init() {
	checks.Register(checks.Kind{Name: "fake", New: func() checks.Probe { return &fake{Mode: "pass"} }, Example: "- id: x\n  fake: {}\n"})
	checks.Register(checks.Kind{Name: "fakectx", New: func() checks.Probe { return &ctxProbe{} }, Context: []string{"query"}})
}

func load(t *testing.T, items string) *checklist.Checklist {
	t.Helper()
	src := "version: 1\nname: t\ndefaults:\n  timeout: 2s\n  retry_delay: 10ms\nsections:\n  - id: s\n    items:\n" + items
	cl, err := checklist.Parse("t.yaml", []byte(src), checklist.Options{})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return cl
}

func byID(r *report.Report) map[string]report.Item {
	m := map[string]report.Item{}
	for _, it := range r.Items {
		m[it.ID] = it
	}
	return m
}

func TestStatusesOrderAndVerdict(t *testing.T) {
	cl := load(t, `
      - {id: slow-pass, fake: {mode: pass, delay: 100ms}}
      - {id: fails, fake: {mode: fail, value: 7}}
      - {id: errs, fake: {mode: error}}
      - {id: after-fail, depends_on: [fails], fake: {}}
      - {id: tagged, tags: [x], fake: {}}
      - {id: person, manual: {roles: [qa-lead]}}
      - {id: panics, severity: warning, fake: {mode: panic}}
      - {id: expects, fake: {value: 3, expect: ["value == 4", "value > 1"]}}
`)
	rep := runner.Run(context.Background(), cl, runner.Options{})
	want := []struct {
		id     string
		status report.Status
		reason string
	}{
		{"slow-pass", report.Pass, ""},
		{"fails", report.Fail, "assertion"},
		{"errs", report.Error, "error"},
		{"after-fail", report.Skip, "dependency"},
		{"tagged", report.Pass, ""},
		{"person", report.Pending, "signoff_missing"},
		{"panics", report.Error, "panic"},
		{"expects", report.Fail, "assertion"},
	}
	if len(rep.Items) != len(want) {
		t.Fatalf("%d items, want %d", len(rep.Items), len(want))
	}
	for i, w := range want {
		got := rep.Items[i]
		if got.ID != w.id || got.Status != w.status || got.Reason != w.reason {
			t.Errorf("item %d = %s %s %q, want %s %s %q (%s)", i, got.ID, got.Status, got.Reason, w.id, w.status, w.reason, got.Message)
		}
	}
	if msg := byID(rep)["expects"].Message; msg != "value == 4: value was 3" {
		t.Errorf("expect message = %q", msg)
	}
	if rep.Verdict != report.NotReady {
		t.Errorf("verdict %s", rep.Verdict)
	}
	if s := rep.Summary; s.Total != 8 || s.Pass != 2 || s.Fail != 2 || s.Error != 2 || s.Skip != 1 || s.Pending != 1 {
		t.Errorf("summary %+v", s)
	}
}

func TestFiltersAreNotBlocking(t *testing.T) {
	cl := load(t, `
      - {id: db, fake: {}}
      - {id: api, depends_on: [db], tags: [health], fake: {}}
      - {id: broken, tags: [other], fake: {mode: fail}}
      - {id: person, manual: {}}
`)
	rep := runner.Run(context.Background(), cl, runner.Options{Tags: []string{"health"}})
	got := byID(rep)
	if got["db"].Status != report.Pass {
		t.Errorf("dependency of a selected item must run, got %s", got["db"].Status)
	}
	for _, id := range []string{"broken", "person"} {
		if got[id].Status != report.Skip || got[id].Reason != "not_selected" {
			t.Errorf("%s = %s %s, want skip not_selected", id, got[id].Status, got[id].Reason)
		}
	}
	if rep.Verdict != report.Ready {
		t.Errorf("filtered-out items must not block: verdict %s", rep.Verdict)
	}
	rep = runner.Run(context.Background(), cl, runner.Options{Only: []string{"broken"}})
	if byID(rep)["api"].Reason != "not_selected" || rep.Verdict != report.NotReady {
		t.Errorf("--only: %+v %s", byID(rep)["api"], rep.Verdict)
	}
}

func TestSeverityAndFailOn(t *testing.T) {
	cl := load(t, `
      - {id: w, severity: warning, fake: {mode: fail}}
      - {id: i, severity: info, fake: {mode: error}}
`)
	if v := runner.Run(context.Background(), cl, runner.Options{}).Verdict; v != report.Ready {
		t.Errorf("warning and info must not block by default, got %s", v)
	}
	if v := runner.Run(context.Background(), cl, runner.Options{FailOn: "warning"}).Verdict; v != report.NotReady {
		t.Errorf("--fail-on warning must block on a failed warning item, got %s", v)
	}
}

func TestMinPassRate(t *testing.T) {
	src := `version: 1
sections:
  - id: integration
    min_pass_rate: 0.75
    items:
      - {id: a, severity: warning, fake: {}}
      - {id: b, severity: warning, fake: {}}
      - {id: c, severity: warning, fake: {}}
      - {id: d, severity: warning, fake: {mode: %s}}
      - {id: e, severity: warning, fake: {mode: fail}}
`
	for mode, want := range map[string]string{"pass": report.Ready, "fail": report.NotReady} {
		cl, err := checklist.Parse("t.yaml", []byte(fmt.Sprintf(src, mode)), checklist.Options{})
		if err != nil {
			t.Fatal(err)
		}
		rep := runner.Run(context.Background(), cl, runner.Options{})
		if rep.Verdict != want {
			t.Errorf("d=%s: pass rate %.2f verdict %s, want %s", mode, rep.Sections[0].PassRate, rep.Verdict, want)
		}
	}
}

func TestRetries(t *testing.T) {
	flakyCalls["r"] = &atomic.Int64{}
	cl := load(t, `
      - {id: flaky, retries: 3, fake: {mode: flaky, key: r}}
`)
	rep := runner.Run(context.Background(), cl, runner.Options{Clock: newFakeClock()})
	if it := rep.Items[0]; it.Status != report.Pass || it.Attempts != 3 {
		t.Errorf("got %s after %d attempts, want pass after 3", it.Status, it.Attempts)
	}
}

func TestConcurrencyIsBounded(t *testing.T) {
	items := ""
	for i := 0; i < 20; i++ {
		items += fmt.Sprintf("      - {id: i%d, fake: {delay: 30ms}}\n", i)
	}
	cl := load(t, items)
	maxParallel.Store(0)
	start := time.Now()
	rep := runner.Run(context.Background(), cl, runner.Options{Concurrency: 4})
	if rep.Verdict != report.Ready {
		t.Fatalf("verdict %s", rep.Verdict)
	}
	if m := maxParallel.Load(); m > 4 || m < 2 {
		t.Errorf("max parallel %d, want 2..4", m)
	}
	if d := time.Since(start); d < 5*30*time.Millisecond {
		t.Errorf("20 items of 30ms at concurrency 4 took %s: not bounded", d)
	}
}

func TestItemTimeoutAndRunTimeout(t *testing.T) {
	cl := load(t, `
      - {id: stuck, timeout: 200ms, fake: {mode: hang}}
`)
	start := time.Now()
	rep := runner.Run(context.Background(), cl, runner.Options{})
	it := rep.Items[0]
	if it.Status != report.Error || it.Reason != "timeout" {
		t.Errorf("got %s %s", it.Status, it.Reason)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %s, want about 200ms", d)
	}
	cl = load(t, `
      - {id: stuck, timeout: 1m, fake: {mode: hang}}
      - {id: queued, depends_on: [stuck], fake: {}}
`)
	start = time.Now()
	rep = runner.Run(context.Background(), cl, runner.Options{Timeout: 300 * time.Millisecond})
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("--timeout 300ms run took %s", d)
	}
	if it := rep.Items[0]; it.Status != report.Error || it.Reason != "timeout" {
		t.Errorf("stuck: %s %s", it.Status, it.Reason)
	}
}

func TestCancelKeepsPartialResults(t *testing.T) {
	cl := load(t, `
      - {id: quick, fake: {}}
      - {id: stuck, timeout: 1m, fake: {mode: hang}}
`)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	rep := runner.Run(ctx, cl, runner.Options{})
	if !rep.Interrupted || rep.Verdict != report.NotReady {
		t.Errorf("interrupted=%v verdict=%s", rep.Interrupted, rep.Verdict)
	}
	got := byID(rep)
	if got["quick"].Status != report.Pass {
		t.Errorf("finished item lost: %+v", got["quick"])
	}
	if got["stuck"].Reason != "interrupted" {
		t.Errorf("stuck: %+v", got["stuck"])
	}
}

func TestSecretsAreRedacted(t *testing.T) {
	src := "version: 1\nsections:\n  - id: s\n    items:\n      - {id: a, title: 'token ${env:TOK}', fake: {mode: fail, key: '${env:TOK}'}}\n"
	cl, err := checklist.Parse("t.yaml", []byte(src), checklist.Options{LookupEnv: func(string) (string, bool) { return "hunter22", true }})
	if err != nil {
		t.Fatal(err)
	}
	rep := runner.Run(context.Background(), cl, runner.Options{})
	if rep.Items[0].Title != "token ***" {
		t.Errorf("title %q", rep.Items[0].Title)
	}
}

func TestExpectFailureShowsKindContext(t *testing.T) {
	cl := load(t, "      - {id: q, fakectx: {expect: ['value < 1']}}\n")
	rep := runner.Run(context.Background(), cl, runner.Options{})
	if msg := rep.Items[0].Message; msg != `value < 1: value was 5; query was "sum(rate(x[5m]))"` {
		t.Errorf("message %q", msg)
	}
}

type ctxProbe struct{}

func (*ctxProbe) Validate() error { return nil }
func (*ctxProbe) Run(context.Context) (checks.Observations, error) {
	return checks.Observations{"value": 5, "query": "sum(rate(x[5m]))"}, nil
}
