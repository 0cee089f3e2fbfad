package runner_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/report"
	"github.com/readyctl/readyctl/internal/runner"
)

// loud is a fake that sends "intrusive" traffic and, when it runs, checks
// that it runs alone if it is exclusive.
type loud struct {
	Delay time.Duration `yaml:"delay"`
}

var notAlone atomic.Int64

func (l *loud) Validate() error { return nil }
func (l *loud) Intrusive() bool { return true }
func (l *loud) Exclusive() bool { return true }
func (l *loud) Run(ctx context.Context) (checks.Observations, error) {
	if n := running.Add(1); n != 1 {
		notAlone.Add(1)
	}
	defer running.Add(-1)
	select {
	case <-time.After(l.Delay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if running.Load() != 1 {
		notAlone.Add(1)
	}
	return checks.Observations{}, nil
}

func init() {
	checks.Register(checks.Kind{Name: "loud", New: func() checks.Probe { return &loud{} }, Example: "- id: x\n  loud: {}\n"})
}

func TestExclusiveItemRunsAlone(t *testing.T) {
	notAlone.Store(0)
	cl := load(t, `      - {id: a, fake: {delay: 80ms}}
      - {id: b, fake: {delay: 80ms}}
      - {id: l, loud: {delay: 80ms}}
      - {id: c, fake: {delay: 80ms}}
      - {id: d, fake: {delay: 80ms}}
      - {id: e, exclusive: true, fake: {delay: 80ms}}
`)
	if it := cl.Items()[2]; !it.Exclusive {
		t.Fatalf("a load-like probe (checks.Exclusive) is exclusive by default")
	}
	if it := cl.Items()[5]; !it.Exclusive {
		t.Fatalf("exclusive: true was not decoded")
	}
	rep := runner.Run(context.Background(), cl, runner.Options{AllowIntrusive: true})
	if rep.Verdict != report.Ready {
		t.Fatalf("verdict %s", rep.Verdict)
	}
	if n := notAlone.Load(); n != 0 {
		t.Fatalf("the exclusive item ran alongside others %d times", n)
	}
	// The others still run together.
	if maxParallel.Load() < 2 {
		t.Fatalf("non-exclusive items ran one by one (max parallel %d)", maxParallel.Load())
	}
}

func TestExclusiveFalseOverridesTheDefault(t *testing.T) {
	cl := load(t, "      - {id: l, exclusive: false, loud: {}}\n")
	if cl.Items()[0].Exclusive {
		t.Fatal("exclusive: false did not override the probe's default")
	}
}

func TestIntrusiveNeedsOptIn(t *testing.T) {
	cl := load(t, "      - {id: l, loud: {}}\n      - {id: a, fake: {}}\n")
	rep := runner.Run(context.Background(), cl, runner.Options{})
	l := byID(rep)["l"]
	if l.Status != report.Skip || l.Reason != checks.ReasonIntrusiveNotAllowed {
		t.Fatalf("intrusive item without opt-in: %s (%s) %s", l.Status, l.Reason, l.Message)
	}
	if rep.Verdict != report.Ready {
		t.Fatalf("an intrusive item not allowed must not block: %s", rep.Verdict)
	}
	rep = runner.Run(context.Background(), cl, runner.Options{AllowIntrusive: true})
	if l := byID(rep)["l"]; l.Status != report.Pass {
		t.Fatalf("intrusive item allowed: %s %s", l.Status, l.Message)
	}
}
