package loadcheck

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/readyctl/readyctl/checks"
)

// progressEvery is how often the live line is refreshed.
const progressEvery = 250 * time.Millisecond

// progress reports "12s/30s 48,210 req 4,017 req/s 0 errors" about four
// times a second until done is closed. The request rate is taken over the
// last second so it shows what the target does now, not on average.
func (r *run) progress(ctx context.Context, done <-chan struct{}) {
	t := time.NewTicker(progressEvery)
	defer t.Stop()
	type sample struct {
		at    time.Time
		total int64
	}
	var window [4]sample // the last second
	window[0] = sample{at: r.start}
	n := 1
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case now := <-t.C:
			var warm, reqs, errs int64
			for _, w := range r.workers {
				warm += w.stats.c.warm.Load()
				reqs += w.stats.c.reqs.Load()
				errs += w.stats.c.errs.Load()
			}
			cur := sample{now, warm + reqs}
			oldest := window[n%len(window)]
			if n < len(window) {
				oldest = window[0]
			}
			window[n%len(window)] = cur
			n++
			var rate float64
			if dt := cur.at.Sub(oldest.at).Seconds(); dt > 0 {
				rate = float64(cur.total-oldest.total) / dt
			}
			checks.Progress(ctx, r.progressLine(now, warm, reqs, errs, rate))
		}
	}
}

func (r *run) progressLine(now time.Time, warm, reqs, errs int64, rate float64) string {
	p := r.p
	if now.Before(r.measureStart) {
		return fmt.Sprintf("warmup %s/%s %s req %s req/s %s errors",
			clock(now.Sub(r.start), p.Warmup), clock(p.Warmup, p.Warmup), group(warm), group(int64(rate)), group(errs))
	}
	elapsed := now.Sub(r.measureStart)
	if r.byCount {
		return fmt.Sprintf("%s %s/%s req %s req/s %s errors",
			clock(elapsed, time.Minute), group(reqs), group(int64(p.Requests)), group(int64(rate)), group(errs))
	}
	return fmt.Sprintf("%s/%s %s req %s req/s %s errors",
		clock(min(elapsed, p.Duration), p.Duration), clock(p.Duration, p.Duration), group(reqs), group(int64(rate)), group(errs))
}

// clock shows d the way a countdown reads: whole seconds, or tenths when
// the whole phase lasts under ten seconds.
func clock(d, phase time.Duration) string {
	if phase < 10*time.Second {
		return strconv.FormatFloat(d.Truncate(100*time.Millisecond).Seconds(), 'f', -1, 64) + "s"
	}
	return d.Truncate(time.Second).String()
}
