package loadcheck

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/readyctl/readyctl/checks"
)

// run is one execution of the probe: its schedule and shared state.
type run struct {
	p          *Probe
	addr       string      // host:port to dial
	tlsConfig  *tls.Config // nil for http://
	wire       []byte      // the request, serialized
	template   *http.Request
	idempotent bool // may be retried on a connection the server closed

	start        time.Time // load begins (warmup first)
	measureStart time.Time // recording begins
	end          time.Time // schedule ends (duration runs and open model)
	hardEnd      time.Time // max_duration guard for closed requests runs
	byCount      bool

	// closed model, requests runs: measured requests claimed so far.
	claimed atomic.Int64
	overrun atomic.Bool

	// open model
	open          bool
	next          atomic.Int64 // next schedule slot
	slots         int64        // slots in the whole schedule, warmup included
	firstMeasured int64        // first slot due after warmup
	sendCutoff    time.Time    // a slot that cannot start by then is dropped

	// stopBy caps every request's deadline when the run has a schedule
	// and the item a deadline: requests still in flight when the item's
	// time is nearly up count as timeouts, and the verdict is reached
	// before the deadline instead of being lost to it.
	stopBy time.Time

	histHighest time.Duration
	workers     []*worker

	// Answers and refused/reset connections so far, warmup included: a
	// target that refuses everything stops the run early (see refusing).
	answered atomic.Int64
	refused  atomic.Int64
	reset    atomic.Int64
}

// refusingAfter is how long a run goes on while every connection is
// refused or reset and nothing ever answered: there is nothing to load.
const refusingAfter = time.Second

// errRefusing is the cause of a run stopped because nothing answers.
type errRefusing struct {
	reason string
	msg    string
}

func (e *errRefusing) Error() string { return e.msg }

// deadlineMargin is left between the last request's deadline and the
// item's, for merging and deciding.
const deadlineMargin = 100 * time.Millisecond

// Run sends the load, then decides the thresholds. It returns the
// observations in every case, including a cancelled run.
func (p *Probe) Run(ctx context.Context) (checks.Observations, error) {
	if p.url == nil {
		if err := p.Validate(); err != nil {
			return nil, err
		}
	}
	if planned, ok := p.plannedLength(); ok {
		if dl, has := ctx.Deadline(); has && time.Until(dl) < planned {
			return nil, checks.WithReason(checks.ReasonTimeout, fmt.Errorf(
				"the item's deadline leaves %s, but the load test needs %s (warmup %s + duration %s): raise the item's timeout above it",
				fmtDuration(time.Until(dl)), planned, p.Warmup, planned-p.Warmup))
		}
	}

	r, err := p.newRun()
	if err != nil {
		return nil, err
	}

	s, err := r.execute(ctx)
	obs := s.observations()
	results := make([]thresholdResult, len(p.thresholds))
	list := make([]any, len(p.thresholds))
	for i, th := range p.thresholds {
		results[i] = th.evaluate(s)
		list[i] = results[i].observation()
	}
	obs["thresholds"] = list

	if err != nil {
		return obs, err
	}
	if s.responses == 0 {
		what := "no request was sent"
		if s.requests > 0 {
			what = fmt.Sprintf("all %s requests failed (%s)", group(s.requests), s.describeErrors())
		}
		return obs, checks.WithReason(checks.ReasonNoData, fmt.Errorf(
			"no request to %s completed: %s", p.url.Redacted(), what))
	}
	var failed []string
	for _, res := range results {
		if !res.ok {
			failed = append(failed, res.failure())
		}
	}
	if len(failed) > 0 {
		return obs, checks.Fail("", "%s", strings.Join(failed, "; "))
	}
	return obs, nil
}

func (p *Probe) newRun() (*run, error) {
	r := &run{p: p}
	port := p.url.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[p.url.Scheme]
	}
	r.addr = net.JoinHostPort(p.url.Hostname(), port)
	if p.url.Scheme == "https" {
		cfg, err := p.TLS.Config()
		if err != nil {
			return nil, err
		}
		if cfg.ServerName == "" {
			cfg.ServerName = p.url.Hostname()
		}
		// No ALPN: the server answers HTTP/1.1, one request at a time
		// per connection, as `connections` means.
		cfg.NextProtos = nil
		cfg.ClientSessionCache = tls.NewLRUClientSessionCache(p.Connections)
		r.tlsConfig = cfg
	}

	var body io.Reader
	if p.Body != "" {
		body = strings.NewReader(p.Body)
	}
	req, err := http.NewRequest(p.Method, p.url.String(), body)
	if err != nil {
		return nil, checks.FieldErrorf("url", "%v", err)
	}
	p.ApplyHeaders(req)
	p.Auth.Apply(req)
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "readyctl-load")
	}
	if u := p.url.User; u != nil && req.Header.Get("Authorization") == "" {
		pw, _ := u.Password()
		req.SetBasicAuth(u.Username(), pw)
	}
	// Serialized once; every request sends the same bytes.
	var wire bytes.Buffer
	if err := req.Write(&wire); err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	req.Body = nil
	r.wire = wire.Bytes()
	r.template = req
	switch p.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		r.idempotent = true
	}
	return r, nil
}

// offset is when slot i of the open model's schedule is due.
func (r *run) offset(i int64) time.Duration {
	return time.Duration(float64(i) * float64(time.Second) / r.p.Rate)
}

// slotsBefore counts the slots due before d from the start.
func (r *run) slotsBefore(d time.Duration) int64 {
	return int64(math.Ceil(d.Seconds() * r.p.Rate))
}

func (r *run) execute(ctx context.Context) (*summary, error) {
	p := r.p
	r.byCount = p.Requests > 0
	r.open = p.Rate > 0
	r.start = time.Now()
	r.measureStart = r.start.Add(p.Warmup)
	r.hardEnd = r.start.Add(p.MaxDuration)
	if !r.byCount {
		r.end = r.measureStart.Add(p.Duration)
	}
	if r.open {
		r.firstMeasured = r.slotsBefore(p.Warmup)
		if r.byCount {
			r.slots = r.firstMeasured + int64(p.Requests)
			r.end = r.start.Add(r.offset(r.slots - 1)).Add(time.Nanosecond)
		} else {
			r.slots = r.slotsBefore(p.Warmup + p.Duration)
		}
		// Slots due before the end are still sent late for a while when
		// every connection was busy (their latency shows how late);
		// beyond that grace a slot is dropped rather than sent late
		// forever, and counted as an error.
		r.sendCutoff = r.end.Add(min(p.Timeout, time.Second))
	}
	if dl, ok := ctx.Deadline(); ok && (!r.byCount || r.open) {
		r.stopBy = dl.Add(-deadlineMargin)
		if r.open && r.sendCutoff.After(r.stopBy) {
			r.sendCutoff = r.stopBy
		}
	}
	// No latency can exceed the whole run plus the grace and one
	// request's timeout.
	r.histHighest = p.MaxDuration + p.Timeout
	if !r.byCount || r.open {
		r.histHighest = r.end.Sub(r.start) + 2*p.Timeout
	}

	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	// A requests run against a refusing target ends fast by itself (each
	// refusal is one request); a timed one would refuse for its whole
	// duration.
	if !r.byCount && r.end.Sub(r.start) > refusingAfter*3/2 {
		go r.watchRefusals(ctx, stop)
	}

	r.workers = make([]*worker, p.Connections)
	for i := range r.workers {
		r.workers[i] = r.newWorker()
	}
	var wg sync.WaitGroup
	for _, w := range r.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r.open {
				w.openLoop(ctx)
			} else {
				w.closedLoop(ctx)
			}
		}()
	}
	done := make(chan struct{})
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		r.progress(ctx, done)
	}()
	wg.Wait()
	finished := time.Now()
	close(done)
	<-progressDone

	elapsed := finished.Sub(r.measureStart)
	if elapsed < 0 {
		elapsed = 0
	}
	ws := make([]*workerStats, len(r.workers))
	for i, w := range r.workers {
		ws[i] = w.stats
	}
	s := merge(ws, r.histHighest, elapsed)

	if r.open {
		s.open = true
		if ctx.Err() == nil {
			s.addDropped(r.slots - r.firstMeasured - s.requests)
		}
	}

	var refusing *errRefusing
	if errors.As(context.Cause(ctx), &refusing) {
		return s, checks.WithReason(refusing.reason, errors.New(refusing.msg))
	}
	if err := ctx.Err(); err != nil {
		// Wrap ctx.Err() so the reason is "canceled" or "timeout" whatever
		// the cause; show the cause when it says more.
		if cause := context.Cause(ctx); cause != nil && cause != err {
			err = fmt.Errorf("%w (%v)", err, cause)
		}
		return s, fmt.Errorf("load test stopped after %s of measuring (%s requests): %w",
			fmtDuration(elapsed), group(s.requests), err)
	}
	if r.overrun.Load() {
		return s, checks.WithReason(checks.ReasonTimeout, fmt.Errorf(
			"only %s of %s requests done within max_duration %s: raise max_duration or lower requests",
			group(s.requests), group(int64(p.Requests)), p.MaxDuration))
	}
	return s, nil
}

// watchRefusals stops the run when, refusingAfter into it, nothing has
// ever answered and connections were refused or reset: 30 s and millions
// of refused connections would say nothing more.
func (r *run) watchRefusals(ctx context.Context, stop context.CancelCauseFunc) {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if r.answered.Load() > 0 {
				return
			}
			if now.Sub(r.start) < refusingAfter {
				continue
			}
			refused, reset := r.refused.Load(), r.reset.Load()
			if refused+reset == 0 {
				continue
			}
			reason, what := checks.ReasonConnectionRefused, "refused"
			if reset > refused {
				reason, what = checks.ReasonConnectionReset, "reset"
			}
			stop(&errRefusing{reason: reason, msg: fmt.Sprintf(
				"%s %s every connection for %s (%s refused, %s reset, no answer): nothing to load, stopped early",
				r.addr, what, refusingAfter, group(refused), group(reset))})
			return
		}
	}
}
