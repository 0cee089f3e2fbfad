package history

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/readyctl/readyctl/internal/report"
)

func sample(env string, start time.Time, status report.Status, latency time.Duration) *report.Report {
	r := &report.Report{
		Checklist:   report.ChecklistInfo{Name: "c", Path: "c.yaml"},
		Environment: env, StartedAt: start, DurationMS: 12, FailOn: "critical",
		Items: []report.Item{
			{ID: "api", Section: "s", Kind: "http", Severity: "critical", Status: status, Observations: map[string]any{"latency": latency, "status": 200, "body": "x"}},
			{ID: "db", Section: "s", Kind: "tcp", Severity: "critical", Status: report.Pass, Observations: map[string]any{"latency": time.Millisecond}},
		},
	}
	r.Finish([]report.Section{{ID: "s", Title: "S"}}, true)
	return r
}

// TestConcurrentWritersKeepEveryRun: many writers at the same instant
// (same start time, same environment) each get their own whole file.
func TestConcurrentWritersKeepEveryRun(t *testing.T) {
	dir := t.TempDir()
	const n = 40
	start := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	var wg sync.WaitGroup
	paths := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r := sample("production", start, report.Pass, time.Duration(i+1)*time.Millisecond)
			paths[i], errs[i] = Save(dir, r)
		}(i)
	}
	wg.Wait()
	seen := map[string]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("writer %d: %v", i, errs[i])
		}
		if seen[paths[i]] {
			t.Fatalf("two writers got %s", paths[i])
		}
		seen[paths[i]] = true
	}
	entries, err := List(dir, func(p string, err error) { t.Errorf("skipped %s: %v", p, err) })
	if err != nil || len(entries) != n {
		t.Fatalf("%d entries, err %v; want %d", len(entries), err, n)
	}
	latencies := map[string]bool{}
	for _, e := range entries {
		r, err := Read(e.Path)
		if err != nil {
			t.Fatal(err)
		}
		latencies[fmt.Sprint(r.Items[0].Observations["latency"])] = true
	}
	if len(latencies) != n {
		t.Errorf("%d distinct reports, want %d: a writer overwrote another", len(latencies), n)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".tmp-*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestListSkipsWhatItCannotRead: hostile or foreign files are skipped with
// a warning; the listing still works and keeps time order.
func TestListSkipsWhatItCannotRead(t *testing.T) {
	defer func(old int64) { maxFile = old }(maxFile)
	maxFile = 64 << 10
	dir := t.TempDir()
	if _, err := Save(dir, sample("staging", time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC), report.Fail, time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := Save(dir, sample("staging", time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), report.Pass, time.Second)); err != nil {
		t.Fatal(err)
	}
	bad := map[string]string{
		"a-not-json.json":    "hello",
		"b-unknown.json":     `{"schema":"readyctl.report/v1","surprise":1}`,
		"c-other.json":       `{"schema":"something/v2"}`,
		"d-two-values.json":  `{"schema":"readyctl.report/v1"} {}`,
		"e-oversize.json":    `{"schema":"readyctl.report/v1","environment":"` + strings.Repeat("x", 64<<10) + `"}`,
		"ignored-other.yaml": "not a report",
	}
	for name, content := range bad {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "f-dir.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	var skipped []string
	entries, err := List(dir, func(p string, _ error) { skipped = append(skipped, filepath.Base(p)) })
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) != 6 {
		t.Errorf("skipped %v, want the 6 bad .json files", skipped)
	}
	if len(entries) != 2 || entries[0].Verdict != report.Ready || entries[1].Verdict != report.NotReady || entries[0].Environment != "staging" {
		t.Errorf("entries %+v", entries)
	}
}

func TestCompareStatusAndMovedObservations(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	pa, _ := Save(dir, sample("p", start, report.Pass, 100*time.Millisecond))
	b := sample("p", start.Add(time.Hour), report.Fail, 150*time.Millisecond)
	b.Items = append(b.Items, report.Item{ID: "new", Status: report.Pass, Severity: "info", Observations: map[string]any{}})
	pb, _ := Save(dir, b)
	ra, err := Read(pa)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := Read(pb)
	if err != nil {
		t.Fatal(err)
	}
	d := Compare(ra, rb, 10)
	if len(d.Status) != 2 || d.Status[0] != (StatusChange{Item: "api", Before: "pass", After: "fail"}) || d.Status[1].Item != "new" || d.Status[1].Before != "" {
		t.Errorf("status changes %+v", d.Status)
	}
	if len(d.Moved) != 1 || d.Moved[0].Item != "api" || d.Moved[0].Observation != "latency" || d.Moved[0].Change.Percent != 50 {
		t.Errorf("moved %+v: want api latency +50%% only (db's did not move, status is equal)", d.Moved)
	}
	if d := Compare(ra, rb, 60); len(d.Moved) != 0 {
		t.Errorf("threshold 60%%: moved %+v", d.Moved)
	}
}
