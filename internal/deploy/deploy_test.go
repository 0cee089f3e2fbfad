package deploy

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/readyctl/readyctl/internal/report"
)

var t0 = time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func TestDowntimeIsTheUnionOfCriticalOutages(t *testing.T) {
	outages := []report.Outage{
		{Item: "api", Start: at(100), End: at(600)},
		{Item: "web", Start: at(400), End: at(900)},   // overlaps api: counted once
		{Item: "api", Start: at(1500), End: at(1700)}, // a second outage
		{Item: "docs", Start: at(0), End: at(5000)},   // not critical
		{Item: "web", Start: at(1700), End: at(1800)}, // touches the previous one
	}
	got := Downtime(outages, map[string]bool{"api": true, "web": true})
	if want := 800*time.Millisecond + 300*time.Millisecond; got != want {
		t.Fatalf("downtime %s, want %s", got, want)
	}
	if got := Downtime(nil, nil); got != 0 {
		t.Fatalf("no outages: %s", got)
	}
}

func TestWatcherRecordsOutageWindows(t *testing.T) {
	w := NewWatcher(100*time.Millisecond, nil)
	for i, ok := range []bool{true, false, false, true, true, false} {
		w.Record("api", at(i*100), ok)
	}
	w.Record("web", at(50), false)
	res := w.Stop(at(1000))
	want := []report.Outage{
		{Item: "web", Start: at(50), End: at(1000)},
		{Item: "api", Start: at(100), End: at(300)},
		{Item: "api", Start: at(500), End: at(1000)},
	}
	if len(res.Outages) != len(want) {
		t.Fatalf("outages %+v, want %+v", res.Outages, want)
	}
	for i := range want {
		if res.Outages[i] != want[i] {
			t.Errorf("outage %d: %+v, want %+v", i, res.Outages[i], want[i])
		}
	}
	if res.Probes != 7 || res.Failures != 4 || strings.Join(res.Open, ",") != "api,web" {
		t.Errorf("probes %d failures %d open %v", res.Probes, res.Failures, res.Open)
	}
}

func rep(verdict string, items ...report.Item) *report.Report {
	r := &report.Report{Items: items, FailOn: "critical"}
	r.Finish(nil, true)
	if r.Verdict != verdict {
		panic("test report verdict " + r.Verdict)
	}
	return r
}

func passing(id string) report.Item {
	return report.Item{ID: id, Severity: "critical", Status: report.Pass, Observations: map[string]any{}}
}

func failing(id, sev string) report.Item {
	return report.Item{ID: id, Severity: sev, Status: report.Fail, Reason: "assertion", Message: "status was 503", Observations: map[string]any{}}
}

func TestRunOutcomes(t *testing.T) {
	ready := func(context.Context) *report.Report { return rep(report.Ready, passing("a")) }
	notReady := func(context.Context) *report.Report { return rep(report.NotReady, failing("a", "critical")) }
	for _, tc := range []struct {
		name        string
		pre         func(context.Context) *report.Report
		force       bool
		command     []string
		postReady   []bool // verdict of each post run, in order
		rollback    []string
		outcome     string
		verdict     string
		ranCommand  bool
		rolledBack  bool
		issuesCrit  int
		reasonParts []string
	}{
		{name: "deployed", pre: ready, command: []string{"true"}, postReady: []bool{true}, outcome: report.OutcomeDeployed, verdict: report.Ready, ranCommand: true},
		{name: "stopped", pre: notReady, command: []string{"true"}, outcome: report.OutcomeStopped, verdict: report.NotReady, issuesCrit: 1, reasonParts: []string{"pre-deploy phase not ready", "not run"}},
		{name: "forced", pre: notReady, force: true, command: []string{"true"}, postReady: []bool{true}, outcome: report.OutcomeDeployed, verdict: report.Ready, ranCommand: true, reasonParts: []string{"--force"}},
		{name: "failed", pre: ready, command: []string{"false"}, postReady: []bool{true}, outcome: report.OutcomeFailed, verdict: report.NotReady, ranCommand: true, reasonParts: []string{"exit code 1", "no --rollback"}},
		{name: "not converged", pre: ready, command: []string{"true"}, postReady: []bool{false}, outcome: report.OutcomeNotConverged, verdict: report.NotReady, ranCommand: true, issuesCrit: 1},
		{name: "rolled back", pre: ready, command: []string{"true"}, postReady: []bool{false, true}, rollback: []string{"true"}, outcome: report.OutcomeRolledBack, verdict: report.NotReady, ranCommand: true, rolledBack: true, reasonParts: []string{"ready after the rollback"}},
		{name: "cannot start", pre: ready, command: []string{"/nonexistent/deploy"}, postReady: []bool{false}, rollback: []string{"false"}, outcome: report.OutcomeRolledBack, verdict: report.NotReady, rolledBack: true, issuesCrit: 1, reasonParts: []string{"could not be run", "rollback command failed with exit code 1", "still not ready"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			posts := 0
			var out bytes.Buffer
			r := Run(context.Background(), Options{
				Pre: tc.pre,
				Post: func(_ context.Context, _ *report.Report, _ bool) *report.Report {
					ok := tc.postReady[posts]
					posts++
					if ok {
						return rep(report.Ready, passing("b"))
					}
					return rep(report.NotReady, failing("b", "critical"), failing("c", "info"))
				},
				Force: tc.force, Command: tc.command, Rollback: tc.rollback, Display: strings.Join(tc.command, " "),
				Interval: 10 * time.Millisecond, Output: &out,
			})
			d := r.Deployment
			if d.Outcome != tc.outcome || r.Verdict != tc.verdict || d.RolledBack != tc.rolledBack || (d.ExitCode != nil) != tc.ranCommand {
				t.Fatalf("outcome %q verdict %q rolled back %v exit %v; want %q %q %v ran=%v (reason %q)", d.Outcome, r.Verdict, d.RolledBack, d.ExitCode, tc.outcome, tc.verdict, tc.rolledBack, tc.ranCommand, d.Reason)
			}
			if d.Issues.Critical != tc.issuesCrit {
				t.Errorf("critical issues %d, want %d", d.Issues.Critical, tc.issuesCrit)
			}
			for _, p := range tc.reasonParts {
				if !strings.Contains(d.Reason, p) {
					t.Errorf("reason %q lacks %q", d.Reason, p)
				}
			}
			if posts != len(tc.postReady) {
				t.Errorf("post-deploy ran %d times, want %d", posts, len(tc.postReady))
			}
			if d.FinishedAt.Before(d.StartedAt) || d.Outages == nil || d.PerformanceChange == nil {
				t.Errorf("record incomplete: %+v", d)
			}
		})
	}
}

func TestMergeTakesTheRunThatMeasured(t *testing.T) {
	skip := report.Item{ID: "post", Status: report.Skip, Reason: "not_selected"}
	pre := &report.Report{Items: []report.Item{passing("pre"), skip}}
	post := passing("post")
	post.Observations = map[string]any{"latency": time.Millisecond}
	measured := &report.Report{Items: []report.Item{{ID: "pre", Status: report.Skip}, post}}
	m := Merge(pre, measured)
	if len(m.Items) != 2 || m.Items[0].Status != report.Pass || m.Items[1].Observations["latency"] != time.Millisecond {
		t.Fatalf("merged %+v", m.Items)
	}
	if pre.Items[1].Status != report.Skip {
		t.Fatal("Merge changed its input")
	}
}

func TestRunCommandExitCodes(t *testing.T) {
	var out bytes.Buffer
	res, err := RunCommand(context.Background(), []string{"sh", "-c", "echo out; echo err >&2; exit 4"}, &out, time.Second, nil)
	if err != nil || res.ExitCode != 4 || !res.Started || out.String() != "out\nerr\n" {
		t.Fatalf("res %+v err %v out %q", res, err, out.String())
	}
	if _, err := RunCommand(context.Background(), []string{"/nonexistent/x"}, &out, time.Second, nil); err == nil {
		t.Fatal("a missing program must be an error")
	}
}

// TestRunCommandSIGKILLAfterGrace: a command that ignores SIGINT is killed
// after the grace period, children included.
func TestRunCommandSIGKILLAfterGrace(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Interrupt only once the trap is set: before, SIGINT would end sh.
	out := &notifyWriter{want: "trapped", seen: make(chan struct{})}
	go func() {
		<-out.seen
		cancel()
	}()
	start := time.Now()
	res, err := RunCommand(ctx, []string{"sh", "-c", "trap '' INT; echo trapped; sleep 30 & wait"}, out, 200*time.Millisecond, nil)
	if err == nil || time.Since(start) > 10*time.Second {
		t.Fatalf("res %+v err %v after %s", res, err, time.Since(start))
	}
	if res.ExitCode != 128+9 {
		t.Errorf("exit code %d, want SIGKILL's 137", res.ExitCode)
	}
}

// notifyWriter closes seen once want has been written.
type notifyWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
	once sync.Once
}

func (w *notifyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return len(p), nil
}
