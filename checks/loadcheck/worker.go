package loadcheck

import (
	"context"
	"time"
)

// A worker owns its connection, its read buffer and its stats, so the
// hot path shares nothing with other workers.
type worker struct {
	r     *run
	stats *workerStats
	buf   []byte
	conn  *httpConn   // nil until dialled, and after an error
	wait  *time.Timer // open model: sleeping until the next slot is due
}

func (r *run) newWorker() *worker {
	return &worker{
		r:     r,
		stats: newWorkerStats(r.histHighest),
		buf:   make([]byte, 16<<10),
	}
}

func (w *worker) release() {
	if w.wait != nil {
		w.wait.Stop()
	}
	if w.conn != nil {
		w.conn.close()
		w.conn = nil
	}
}

// closedLoop sends the next request as soon as the last one is done,
// until the schedule ends, the requests are all claimed or ctx is done.
func (w *worker) closedLoop(ctx context.Context) {
	defer w.release()
	r := w.r
	for ctx.Err() == nil {
		now := time.Now()
		measured := !now.Before(r.measureStart)
		switch {
		case r.byCount && measured:
			if !now.Before(r.hardEnd) {
				r.overrun.Store(true)
				return
			}
			if r.claimed.Add(1) > int64(r.p.Requests) {
				return
			}
		case !r.byCount && !now.Before(r.end):
			return
		}
		w.do(ctx, now, now, measured)
	}
}

// openLoop takes the next due slot of the fixed-rate schedule, waits for
// its time, sends it, and measures its latency from the time it was due.
// When every worker is busy, slots fall behind schedule and that delay is
// part of their latency: a stall is reported, not hidden.
func (w *worker) openLoop(ctx context.Context) {
	defer w.release()
	r := w.r
	for {
		i := r.next.Add(1) - 1
		if i >= r.slots {
			return
		}
		due := r.start.Add(r.offset(i))
		if d := time.Until(due); d > 0 {
			if w.wait == nil {
				w.wait = time.NewTimer(d)
			} else {
				w.wait.Reset(d)
			}
			select {
			case <-ctx.Done():
				return
			case <-w.wait.C:
			}
		}
		if ctx.Err() != nil {
			return
		}
		now := time.Now()
		if now.After(r.sendCutoff) {
			// Due before the end but no connection was free in time: the
			// run counts it as dropped from the sent total.
			return
		}
		w.do(ctx, due, now, i >= r.firstMeasured)
	}
}

// do sends one request. due is when it should have started (the open
// model's schedule, or the send time in the closed model); latency counts
// from there. The timeout counts from the actual send.
func (w *worker) do(ctx context.Context, due, sent time.Time, measured bool) {
	deadline := sent.Add(w.r.p.Timeout)
	if !w.r.stopBy.IsZero() && deadline.After(w.r.stopBy) {
		deadline = w.r.stopBy
	}
	status, err := w.roundTrip(ctx, deadline)
	end := time.Now()
	if err == nil {
		w.r.answered.Add(1)
	} else if ctx.Err() == nil {
		switch errorKind(err) {
		case "refused":
			w.r.refused.Add(1)
		case "reset":
			w.r.reset.Add(1)
		}
	}

	s := w.stats
	if !measured {
		s.c.warm.Add(1)
		return
	}
	if err != nil && ctx.Err() != nil {
		return // the run was stopped; this is not a measurement
	}
	s.c.reqs.Add(1)
	if err != nil {
		s.c.errs.Add(1)
		kind := errorKind(err)
		s.kinds[kind]++
		if kind == "timeout" {
			// It waited this long and got nothing: that is its latency.
			s.recordLatency(end.Sub(due))
		}
		return
	}
	s.responses++
	s.countStatus(status)
	s.recordLatency(end.Sub(due))
	if !w.r.p.okStatus.ok(status) {
		s.c.errs.Add(1)
		s.kinds["status"]++
	}
}
