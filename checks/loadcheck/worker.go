package loadcheck

import (
	"context"
	"io"
	"net/http"
	"time"
)

// A worker owns one request template, one read buffer and its own stats,
// so the hot path shares nothing with other workers but the transport's
// connection pool.
type worker struct {
	r     *run
	req   *http.Request
	buf   []byte
	timer *time.Timer
	stats *workerStats
}

func (r *run) newWorker() *worker {
	req := r.template.Clone(context.Background())
	w := &worker{
		r:     r,
		req:   req,
		buf:   make([]byte, 32<<10),
		stats: newWorkerStats(r.histHighest),
	}
	return w
}

// closedLoop sends the next request as soon as the last one is done,
// until the schedule ends, the requests are all claimed or ctx is done.
func (w *worker) closedLoop(ctx context.Context) {
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
	r := w.r
	for {
		i := r.next.Add(1) - 1
		if i >= r.slots {
			return
		}
		due := r.start.Add(r.offset(i))
		if d := time.Until(due); d > 0 {
			if w.timer == nil {
				w.timer = time.NewTimer(d)
			} else {
				w.timer.Reset(d)
			}
			select {
			case <-ctx.Done():
				w.timer.Stop()
				return
			case <-w.timer.C:
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
// from there.
func (w *worker) do(ctx context.Context, due, sent time.Time, measured bool) {
	rctx, cancel := context.WithDeadline(ctx, sent.Add(w.r.p.Timeout))
	req := w.req.WithContext(rctx)
	if req.GetBody != nil {
		// A fresh reader each time: the transport may still be reading
		// the previous one from its write goroutine.
		req.Body, _ = req.GetBody()
	}
	resp, err := w.r.tr.RoundTrip(req)
	status := 0
	if err == nil {
		status = resp.StatusCode
		err = w.drain(resp.Body)
	}
	cancel()
	end := time.Now()

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
	s.status[status]++
	s.recordLatency(end.Sub(due))
	if !w.r.p.okStatus.ok(status) {
		s.c.errs.Add(1)
		s.kinds["status"]++
	}
}

// drain reads and discards the body so the connection can be reused.
func (w *worker) drain(body io.ReadCloser) error {
	var err error
	for err == nil {
		_, err = body.Read(w.buf)
	}
	body.Close()
	if err == io.EOF {
		return nil
	}
	return err
}
