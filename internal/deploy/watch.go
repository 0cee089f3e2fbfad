package deploy

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/readyctl/readyctl/internal/report"
)

// Target is one watched item: how to probe it once, and whether its
// failure is downtime (a critical item) or only an outage of its own.
type Target struct {
	ID       string
	Critical bool
	// Probe runs one attempt and says whether the item passed. It must
	// honour ctx.
	Probe func(ctx context.Context) bool
}

// Clock is the deployment's time; tests pass a fake one.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Watcher samples targets at an interval and keeps, per target, only its
// outage windows: memory grows with the number of outages, not with the
// length of the deployment.
type Watcher struct {
	interval time.Duration
	clock    Clock

	mu       sync.Mutex
	down     map[string]time.Time // open outages: since when
	outages  []report.Outage
	probes   int
	failures int
}

// NewWatcher returns a watcher sampling every interval.
func NewWatcher(interval time.Duration, clock Clock) *Watcher {
	if clock == nil {
		clock = realClock{}
	}
	return &Watcher{interval: interval, clock: clock, down: map[string]time.Time{}}
}

// Run probes every target each interval until ctx ends; a probe slower
// than the interval delays that target's next one, never overlaps it. A
// sample cut short by ctx's end does not count: it says nothing about the
// target.
func (w *Watcher) Run(ctx context.Context, targets []Target) {
	var wg sync.WaitGroup
	for _, t := range targets {
		wg.Add(1)
		go func(t Target) {
			defer wg.Done()
			next := w.clock.Now()
			for {
				at := w.clock.Now()
				ok := t.Probe(ctx)
				if ctx.Err() != nil {
					return
				}
				w.Record(t.ID, at, ok)
				next = next.Add(w.interval)
				if now := w.clock.Now(); next.Before(now) {
					next = now
				}
				select {
				case <-ctx.Done():
					return
				case <-w.clock.After(next.Sub(w.clock.Now())):
				}
			}
		}(t)
	}
	wg.Wait()
}

// Record notes one sample taken at at: a failure opens an outage (if none
// is open), a pass closes the open one.
func (w *Watcher) Record(id string, at time.Time, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.probes++
	since, isDown := w.down[id]
	switch {
	case !ok:
		w.failures++
		if !isDown {
			w.down[id] = at
		}
	case isDown:
		delete(w.down, id)
		w.outages = append(w.outages, report.Outage{Item: id, Start: since, End: at})
	}
}

// Result is what the watch measured.
type Result struct {
	Outages  []report.Outage // by start, then item
	Open     []string        // items still failing when the watch ended
	Probes   int
	Failures int
}

// Stop closes the outages still open at end (the watch ended before the
// item recovered) and returns what was measured. Call it after Run returned.
func (w *Watcher) Stop(end time.Time) Result {
	w.mu.Lock()
	defer w.mu.Unlock()
	res := Result{Probes: w.probes, Failures: w.failures}
	res.Outages = append(res.Outages, w.outages...)
	for id, since := range w.down {
		res.Outages = append(res.Outages, report.Outage{Item: id, Start: since, End: end})
		res.Open = append(res.Open, id)
	}
	sort.Strings(res.Open)
	sort.Slice(res.Outages, func(i, j int) bool {
		a, b := res.Outages[i], res.Outages[j]
		if !a.Start.Equal(b.Start) {
			return a.Start.Before(b.Start)
		}
		return a.Item < b.Item
	})
	if res.Outages == nil {
		res.Outages = []report.Outage{}
	}
	return res
}

// Downtime is the length of the union of the outages of the critical
// items: two critical items down at once is one downtime, not two.
func Downtime(outages []report.Outage, critical map[string]bool) time.Duration {
	var spans []report.Outage
	for _, o := range outages {
		if critical[o.Item] && o.End.After(o.Start) {
			spans = append(spans, o)
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].Start.Before(spans[j].Start) })
	var total time.Duration
	var cur *report.Outage
	for i := range spans {
		s := spans[i]
		switch {
		case cur == nil:
			cur = &s
		case !s.Start.After(cur.End):
			if s.End.After(cur.End) {
				cur.End = s.End
			}
		default:
			total += cur.End.Sub(cur.Start)
			cur = &s
		}
	}
	if cur != nil {
		total += cur.End.Sub(cur.Start)
	}
	return total
}
