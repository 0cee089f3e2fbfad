// Package serve runs a checklist again and again and serves the last
// verdict over HTTP: /ready for load balancers, Kubernetes and Argo,
// /report for people and tools, /metrics for Prometheus, /healthz for the
// server itself.
//
// It decides nothing about readiness: each round's report (and its
// verdict) comes from the runner through Options.Check; serve only
// stores the last one and says it. It never runs two rounds at once, and
// a round that runs long delays the next instead of piling up. It never
// runs intrusive probes: the caller's Check forces that off.
package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/report"
)

// Defaults.
const (
	DefaultInterval = 30 * time.Second
	DefaultListen   = "127.0.0.1:9469"
	// DefaultGrace bounds how long a shutdown waits for the round in
	// progress (already cancelled) to return.
	DefaultGrace = 10 * time.Second
)

// Options configure a Server.
type Options struct {
	// Listen is the address to serve on (host:port).
	Listen string
	// Interval is the time from the start of one round to the start of
	// the next; a longer round delays the next one.
	Interval time.Duration
	// Checklist is the checklist the first round runs.
	Checklist *checklist.Checklist
	// Load reads the checklist again (SIGHUP). An error keeps the
	// previous checklist running.
	Load func(ctx context.Context) (*checklist.Checklist, error)
	// Reload triggers Load; nil = never reload.
	Reload <-chan struct{}
	// Check runs one round of cl and returns its finished report (its
	// verdict decided by report.Finish). It re-reads sign-offs itself. An
	// error (the sign-off records cannot be read) makes the round not
	// ready: a verdict that cannot be judged is never served as ready.
	Check func(ctx context.Context, cl *checklist.Checklist) (*report.Report, error)
	// Token, when not empty, is required as a bearer token on every
	// endpoint but /healthz.
	Token string
	// CertFile and KeyFile serve HTTPS when both are set.
	CertFile, KeyFile string
	// Grace bounds the wait for the round in progress at shutdown.
	Grace time.Duration
	// Logger gets the server's diagnostics; nil = discard.
	Logger *slog.Logger
	// Ready, if not nil, is called once the listener is bound, with its
	// address (tests listen on port 0).
	Ready func(addr string)
}

// Server is one `readyctl serve`.
type Server struct {
	opts    Options
	log     *slog.Logger
	metrics *metrics
	// last is the newest finished round; nil until the first finishes.
	last atomic.Pointer[snapshot]
	// rounds counts finished rounds (tests and /ready's "round").
	rounds atomic.Int64
}

// New checks opts and returns a server that is not yet listening.
func New(opts Options) (*Server, error) {
	if opts.Checklist == nil || opts.Check == nil {
		return nil, errors.New("serve: a checklist and a check function are required")
	}
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Listen == "" {
		opts.Listen = DefaultListen
	}
	if opts.Grace <= 0 {
		opts.Grace = DefaultGrace
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics()
	if err != nil {
		return nil, err
	}
	return &Server{opts: opts, log: opts.Logger, metrics: m}, nil
}

// Run serves until ctx is cancelled: it binds the listener, runs rounds
// every interval and, when ctx ends, cancels the round in progress, waits
// for it at most Grace, shuts the HTTP server down and returns nil. An
// error means it could not start (address in use, bad certificate).
func (s *Server) Run(ctx context.Context) error {
	hs, ln, err := s.listen()
	if err != nil {
		return err
	}
	s.log.Info("serving", "address", ln.Addr().String(), "tls", hs.TLSConfig != nil, "auth", s.opts.Token != "", "interval", s.opts.Interval)
	if s.opts.Ready != nil {
		s.opts.Ready(ln.Addr().String())
	}
	served := make(chan error, 1)
	go func() {
		if hs.TLSConfig != nil {
			served <- hs.ServeTLS(ln, "", "")
		} else {
			served <- hs.Serve(ln)
		}
	}()

	loopDone := make(chan struct{})
	roundsCtx, cancelRounds := context.WithCancel(context.WithoutCancel(ctx))
	go func() {
		defer close(loopDone)
		s.loop(roundsCtx)
	}()

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-served:
		// The listener failed under us: stop the rounds too.
	}
	cancelRounds()
	select {
	case <-loopDone:
	case <-time.After(s.opts.Grace):
		s.log.Warn("the round in progress did not stop in time; exiting anyway", "grace", s.opts.Grace)
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.Grace)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		s.log.Warn("HTTP shutdown", "err", err)
		hs.Close()
	}
	if serveErr != nil && !errors.Is(serveErr, errServerClosed) {
		return fmt.Errorf("serve: %w", serveErr)
	}
	return nil
}

// loop runs rounds until ctx ends. One goroutine runs them, so two never
// overlap; the next starts Interval after the previous started, or at
// once when the previous took longer.
func (s *Server) loop(ctx context.Context) {
	cl := s.opts.Checklist
	s.metrics.reloadSuccess.Set(1)
	for {
		start := time.Now()
		s.round(ctx, cl)
		if ctx.Err() != nil {
			return
		}
		timer := time.NewTimer(max(time.Until(start.Add(s.opts.Interval)), 0))
	wait:
		for {
			select {
			case <-ctx.Done():
				timer.Stop()
				return
			case <-s.opts.Reload:
				cl = s.reload(ctx, cl)
			case <-timer.C:
				break wait
			}
		}
	}
}

// round runs cl once and, unless shutdown cut it short, publishes it.
func (s *Server) round(ctx context.Context, cl *checklist.Checklist) {
	start := time.Now()
	rep, err := s.opts.Check(ctx, cl)
	took := time.Since(start)
	if ctx.Err() != nil {
		// Interrupted by shutdown: half a round must not replace a whole one.
		return
	}
	var snap *snapshot
	if err == nil {
		snap, err = newSnapshot(rep, time.Now())
	}
	if err != nil {
		s.log.Error("round failed; serving not ready until a round succeeds", "err", err)
		snap = failedSnapshot(cl, err, start, time.Now())
		rep = snap.rep
	}
	prev := s.last.Swap(snap)
	if prev == nil || prev.rep.Verdict != rep.Verdict {
		// A change of verdict is what on-call looks for in the log.
		var blocking []string
		if snap.failed {
			blocking = []string{"the round could not be judged"}
		} else {
			for _, b := range rep.Blocking() {
				blocking = append(blocking, b.String())
			}
		}
		s.log.Info("verdict", "verdict", rep.Verdict, "blocking", strings.Join(blocking, "; "))
	}
	n := s.rounds.Add(1)
	s.metrics.observeRound(rep, took)
	s.log.Debug("round finished", "round", n, "verdict", rep.Verdict, "duration", took.Round(time.Millisecond))
}

// reload loads the checklist again; a failure keeps cur.
func (s *Server) reload(ctx context.Context, cur *checklist.Checklist) *checklist.Checklist {
	if s.opts.Load == nil {
		return cur
	}
	next, err := s.opts.Load(ctx)
	if err != nil {
		s.metrics.reloadSuccess.Set(0)
		var invalid checklist.Errors
		if errors.As(err, &invalid) {
			for _, e := range invalid {
				s.log.Error("checklist reload refused; the previous checklist keeps running", "problem", e.Error())
			}
		} else {
			s.log.Error("checklist reload refused; the previous checklist keeps running", "err", err)
		}
		return cur
	}
	s.metrics.reloadSuccess.Set(1)
	s.metrics.forgetItems()
	s.log.Info("checklist reloaded; the next round uses it", "path", next.Path, "items", len(next.Items()))
	return next
}

// Rounds is the number of rounds finished so far.
func (s *Server) Rounds() int64 { return s.rounds.Load() }
