package runner_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/report"
	"github.com/readyctl/readyctl/internal/runner"
)

// parked is a test kind whose Run waits until the test opens parkGate.
type parked struct{}

var (
	parkGate    atomic.Pointer[chan struct{}]
	parkRunning atomic.Int64
)

func (*parked) Validate() error { return nil }

func (*parked) Run(ctx context.Context) (checks.Observations, error) {
	parkRunning.Add(1)
	defer parkRunning.Add(-1)
	select {
	case <-*parkGate.Load():
		return checks.Observations{}, nil
	case <-ctx.Done():
		return checks.Observations{}, ctx.Err()
	}
}

func init() {
	checks.Register(checks.Kind{Name: "parked", New: func() checks.Probe { return &parked{} }})
}

// Items waiting for their turn cost no goroutine: a run of thousands of
// items at a small concurrency holds about concurrency goroutines, not one
// (and its stack) per item (issue 16 §2).
func TestWaitingItemsCostNoGoroutine(t *testing.T) {
	const items, concurrency = 3000, 8
	var sb strings.Builder
	for i := range items {
		fmt.Fprintf(&sb, "      - {id: item-%d, parked: {}}\n", i)
	}
	cl := load(t, sb.String())
	gate := make(chan struct{})
	parkGate.Store(&gate)
	before := runtime.NumGoroutine()
	got := make(chan *report.Report, 1)
	go func() { got <- runner.Run(context.Background(), cl, runner.Options{Concurrency: concurrency}) }()
	deadline := time.Now().Add(10 * time.Second)
	for parkRunning.Load() < concurrency {
		if time.Now().After(deadline) {
			close(gate)
			t.Fatalf("only %d items started", parkRunning.Load())
		}
		time.Sleep(time.Millisecond)
	}
	// Give a runner that starts a goroutine per item the time to start
	// them all: the count is the largest seen meanwhile.
	extra := 0
	for range 50 {
		extra = max(extra, runtime.NumGoroutine()-before)
		time.Sleep(2 * time.Millisecond)
	}
	close(gate)
	rep := <-got
	if extra > 4*concurrency {
		t.Errorf("%d goroutines while %d items run and %d wait: one per waiting item?", extra, concurrency, items-concurrency)
	}
	if rep.Verdict != report.Ready || rep.Summary.Pass != items {
		t.Fatalf("verdict %s, %d of %d passed", rep.Verdict, rep.Summary.Pass, items)
	}
}

// With one worker, an item whose dependency comes later in the file waits
// for it without holding the only slot.
func TestDependencyOrderWithOneWorker(t *testing.T) {
	cl := load(t, `
      - {id: a, depends_on: [c], fake: {}}
      - {id: b, fake: {}}
      - {id: c, depends_on: [b], fake: {}}
      - {id: d, depends_on: [a, b, c], fake: {}}
`)
	rep := runner.Run(context.Background(), cl, runner.Options{Concurrency: 1})
	for _, it := range rep.Items {
		if it.Status != report.Pass {
			t.Errorf("%s: %s %s %s", it.ID, it.Status, it.Reason, it.Message)
		}
	}
	if rep.Verdict != report.Ready {
		t.Fatalf("verdict %s", rep.Verdict)
	}
}
