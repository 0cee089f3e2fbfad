// Package runner runs a loaded checklist: it selects items, runs their
// probes with bounded concurrency, per-attempt deadlines, retries and
// depends_on ordering, evaluates `expect:` expressions, and folds everything
// into a report.Report in checklist order. It knows no probe kind by name
// and never prints: it reports progress to an Observer.
package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/redact"
	"github.com/readyctl/readyctl/internal/report"
)

// DefaultConcurrency is used when Options.Concurrency is 0: most items wait
// on the network, not the CPU, so this is well above the core count.
const DefaultConcurrency = 16

// Options control one run.
type Options struct {
	Concurrency int
	Timeout     time.Duration // whole run; 0 = none
	Only        []string      // item ids
	Tags        []string      // any of
	Phase       string
	Wait        time.Duration // re-run until ready or this passes; 0 = once
	FailOn      string        // "critical" (default) or "warning"
	Observer    Observer      // nil = silent
	Signoffs    Signoffs      // nil = every manual item is pending
	Logger      *slog.Logger  // nil = discard
	Now         func() time.Time
	// AllowIntrusive lets probes that send load or attack-like traffic
	// (checks.Intrusive) run; otherwise they are skipped, non-blocking.
	AllowIntrusive bool
}

// Signoffs decides what people have signed: manual items, waivers of
// failing items, and run-level requirements. internal/signoff implements
// it; the runner only asks.
type Signoffs interface {
	// Manual returns the outcome of a manual item.
	Manual(it *checklist.Item) report.Item
	// Waive may turn a failing item's result into a waived one.
	Waive(it *checklist.Item, res report.Item) report.Item
	// Finish returns the sign-off table for the report and whether the
	// run-level requirements (required role approvals) are met.
	Finish(r *report.Report) (table []report.Signoff, met bool)
}

// Run runs the checklist and returns its report; it never returns nil.
// When ctx is cancelled (SIGINT), running probes are cancelled and the
// report says what was measured so far, with Interrupted set.
func Run(ctx context.Context, cl *checklist.Checklist, opts Options) *report.Report {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.Observer == nil {
		opts.Observer = nopObserver{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.FailOn == "" {
		opts.FailOn = "critical"
	}
	r := &run{cl: cl, opts: opts, redactor: redact.New(cl.Secrets)}
	return r.do(ctx)
}

type run struct {
	cl       *checklist.Checklist
	opts     Options
	redactor *redact.Redactor
	// alone is held shared by every running probe and exclusively by an
	// exclusive item: it waits for what runs and holds back the rest.
	alone sync.RWMutex
}

func (r *run) do(parent context.Context) *report.Report {
	start := r.opts.Now()
	ctx := parent
	if r.opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(parent, r.opts.Timeout)
		defer cancel()
	}
	items := r.cl.Items()
	selected := r.selection(items)
	results := make([]report.Item, len(items))
	for i, it := range items {
		results[i] = r.base(it)
		if !selected[it.ID] {
			results[i].Status = report.Skip
			results[i].Reason = checks.ReasonNotSelected
			results[i].Message = "not selected by --only, --tags or --phase"
		}
	}
	todo := make([]int, 0, len(items))
	for i, it := range items {
		if selected[it.ID] {
			todo = append(todo, i)
		}
	}

	var deadline time.Time
	if r.opts.Wait > 0 {
		deadline = start.Add(r.opts.Wait)
	}
	backoff := 500 * time.Millisecond
	for round := 1; ; round++ {
		r.opts.Observer.Started(len(todo))
		r.round(ctx, items, todo, results)
		rep := r.report(parent, start, results)
		if r.opts.Wait <= 0 || rep.Verdict == report.Ready || ctx.Err() != nil {
			return rep
		}
		remaining := time.Until(deadline)
		if remaining <= 0 {
			return rep
		}
		// Re-run what is not passing; what passed stays passed.
		var again []int
		var names []string
		for _, i := range todo {
			if results[i].Status != report.Pass && results[i].Status != report.Waived {
				again = append(again, i)
				names = append(names, items[i].ID)
			}
		}
		todo = again
		sleep := min(backoff, remaining)
		r.opts.Observer.Waiting(round, names, sleep)
		r.opts.Logger.Info("not ready yet, waiting", "round", round, "not_passing", strings.Join(names, ","), "retry_in", sleep.Round(time.Millisecond))
		select {
		case <-ctx.Done():
			return r.report(parent, start, results)
		case <-time.After(sleep):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// Selected is the run's selection without running anything (readyctl
// plan): the items opts selects, with their dependencies, in order.
func Selected(cl *checklist.Checklist, opts Options) []*checklist.Item {
	r := &run{cl: cl, opts: opts}
	items := cl.Items()
	sel := r.selection(items)
	var out []*checklist.Item
	for _, it := range items {
		if sel[it.ID] {
			out = append(out, it)
		}
	}
	return out
}

// selection applies --only/--tags/--phase and pulls in the dependencies of
// what is selected: an item cannot be judged without them.
func (r *run) selection(items []*checklist.Item) map[string]bool {
	byID := map[string]*checklist.Item{}
	for _, it := range items {
		byID[it.ID] = it
	}
	sel := map[string]bool{}
	var add func(it *checklist.Item)
	add = func(it *checklist.Item) {
		if sel[it.ID] {
			return
		}
		sel[it.ID] = true
		for _, d := range it.DependsOn {
			if dep, ok := byID[d]; ok {
				add(dep)
			}
		}
	}
	for _, it := range items {
		if r.matches(it) {
			add(it)
		}
	}
	return sel
}

func (r *run) matches(it *checklist.Item) bool {
	if len(r.opts.Only) > 0 && !slices.Contains(r.opts.Only, it.ID) {
		return false
	}
	if r.opts.Phase != "" && it.Phase != r.opts.Phase {
		return false
	}
	if len(r.opts.Tags) > 0 {
		for _, t := range r.opts.Tags {
			if slices.Contains(it.Tags, t) {
				return true
			}
		}
		return false
	}
	return true
}

func (r *run) base(it *checklist.Item) report.Item {
	return report.Item{
		ID: it.ID, Section: it.Section.ID, Title: r.redactor.String(it.Title), Kind: it.Kind,
		Severity: string(it.Severity), Observations: map[string]any{},
	}
}

// round runs the items at indexes todo, each after its dependencies.
func (r *run) round(ctx context.Context, items []*checklist.Item, todo []int, results []report.Item) {
	index := map[string]int{}
	for i, it := range items {
		index[it.ID] = i
	}
	done := make(map[string]chan struct{}, len(todo))
	for _, i := range todo {
		done[items[i].ID] = make(chan struct{})
	}
	sem := make(chan struct{}, r.opts.Concurrency)
	var wg sync.WaitGroup
	var mu sync.Mutex // guards results across goroutines
	for _, i := range todo {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			it := items[i]
			defer close(done[it.ID])
			res := r.runOne(ctx, it, sem, done, func(dep string) report.Item {
				mu.Lock()
				defer mu.Unlock()
				return results[index[dep]]
			})
			mu.Lock()
			results[i] = res
			mu.Unlock()
			r.opts.Observer.Finished(res)
		}(i)
	}
	wg.Wait()
}

func (r *run) runOne(ctx context.Context, it *checklist.Item, sem chan struct{}, done map[string]chan struct{}, result func(string) report.Item) report.Item {
	res := r.base(it)
	for _, d := range it.DependsOn {
		ch, ok := done[d]
		if ok {
			select {
			case <-ch:
			case <-ctx.Done():
				return r.notStarted(ctx, res)
			}
		}
		// A dependency not in this round passed in an earlier one.
		if dr := result(d); dr.Status != report.Pass && dr.Status != report.Waived {
			res.Status = report.Skip
			res.Reason = checks.ReasonDependency
			res.Message = fmt.Sprintf("dependency %q did not pass (%s)", d, dr.Status)
			return res
		}
	}
	if it.Manual != nil {
		if r.opts.Signoffs != nil {
			return r.opts.Signoffs.Manual(it)
		}
		res.Status = report.Pending
		res.Reason = checks.ReasonSignoffMissing
		res.Message = "waiting for a sign-off"
		if len(it.Manual.Roles) > 0 {
			res.Message += " by " + strings.Join(it.Manual.Roles, " or ")
		}
		return res
	}
	if reason, msg, skip := r.gate(it); skip {
		res.Status, res.Reason, res.Message = report.Skip, reason, msg
		return res
	}
	select {
	case sem <- struct{}{}:
		defer func() { <-sem }()
	case <-ctx.Done():
		return r.notStarted(ctx, res)
	}
	if it.Exclusive {
		r.alone.Lock()
		defer r.alone.Unlock()
	} else {
		r.alone.RLock()
		defer r.alone.RUnlock()
	}
	if ctx.Err() != nil {
		return r.notStarted(ctx, res)
	}
	r.opts.Observer.ItemStarted(it.ID)
	start := time.Now()
	for attempt := 1; ; attempt++ {
		res.Attempts = attempt
		status, reason, msg, obs := r.attempt(ctx, it)
		res.Status, res.Reason, res.Message = status, reason, r.redactor.String(msg)
		res.Observations = r.redactor.Map(obs)
		if res.Observations == nil {
			res.Observations = map[string]any{}
		}
		if status == report.Pass || attempt > it.Retries || ctx.Err() != nil {
			break
		}
		r.opts.Logger.Debug("attempt failed, retrying", "item", it.ID, "attempt", attempt, "status", status, "reason", reason, "message", res.Message)
		select {
		case <-ctx.Done():
		case <-time.After(it.RetryDelay):
		}
		if ctx.Err() != nil {
			break
		}
	}
	res.DurationMS = time.Since(start).Milliseconds()
	if (res.Status == report.Fail || res.Status == report.Error) && r.opts.Signoffs != nil {
		res = r.opts.Signoffs.Waive(it, res)
	}
	r.opts.Logger.Debug("item finished", "item", it.ID, "status", res.Status, "reason", res.Reason, "duration_ms", res.DurationMS)
	return res
}

// gate says why a probe must not run at all: it cannot run here, or it
// is intrusive and the environment has not opted in.
func (r *run) gate(it *checklist.Item) (reason, msg string, skip bool) {
	if u, ok := it.Probe.(checks.Unavailable); ok {
		return checks.ReasonUnavailable, u.Unavailable(), true
	}
	if in, ok := it.Probe.(checks.Intrusive); ok && in.Intrusive() && !r.opts.AllowIntrusive {
		env := r.cl.Environment
		return checks.ReasonIntrusiveNotAllowed, fmt.Sprintf("sends load or attack-like traffic, and environment %q has not opted in: add it to intrusive_environments in the checklist, or run check --allow-intrusive", env), true
	}
	return "", "", false
}

// attempt runs the probe once under the item's timeout and classifies the
// outcome. A panic in a probe becomes an error result.
func (r *run) attempt(parent context.Context, it *checklist.Item) (status report.Status, reason, msg string, obs checks.Observations) {
	ctx, cancel := context.WithTimeout(parent, it.Timeout)
	defer cancel()
	ctx = checks.WithProgress(ctx, func(line string) { r.opts.Observer.ItemProgress(it.ID, line) })
	defer func() {
		if p := recover(); p != nil {
			r.opts.Logger.Error("probe panicked", "item", it.ID, "kind", it.Kind, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			status, reason, msg = report.Error, checks.ReasonPanic, fmt.Sprintf("probe %s panicked: %v (this is a bug in readyctl)", it.Kind, p)
		}
	}()
	obs, err := it.Probe.Run(ctx)
	switch {
	case err == nil:
		var failed []string
		for _, e := range it.Expect {
			if ok, m := e.Eval(obs); !ok {
				failed = append(failed, m)
			}
		}
		if len(failed) > 0 {
			if kind, ok := checks.Lookup(it.Kind); ok {
				for _, name := range kind.Context {
					if v, ok := obs[name]; ok {
						failed = append(failed, fmt.Sprintf("%s was %s", name, checklist.FormatValue(v)))
					}
				}
			}
			return report.Fail, checks.ReasonAssertion, strings.Join(failed, "; "), obs
		}
		return report.Pass, "", "", obs
	case parent.Err() != nil:
		// The whole run was cut short: say so rather than blame the target.
		if errors.Is(parent.Err(), context.DeadlineExceeded) {
			return report.Error, checks.ReasonTimeout, fmt.Sprintf("run timeout (--timeout %s) reached while checking", r.opts.Timeout), obs
		}
		return report.Error, checks.ReasonInterrupted, "interrupted while checking", obs
	case ctx.Err() == context.DeadlineExceeded:
		return report.Error, checks.ReasonTimeout, fmt.Sprintf("no answer within %s: %v", it.Timeout, err), obs
	}
	var f *checks.Failure
	if errors.As(err, &f) {
		return report.Fail, f.Reason, f.Message, obs
	}
	return report.Error, checks.Classify(err), err.Error(), obs
}

func (r *run) notStarted(ctx context.Context, res report.Item) report.Item {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		res.Status, res.Reason = report.Error, checks.ReasonTimeout
		res.Message = fmt.Sprintf("not started before the run timeout (--timeout %s)", r.opts.Timeout)
		return res
	}
	res.Status, res.Reason, res.Message = report.Skip, checks.ReasonInterrupted, "not run: interrupted"
	return res
}

func (r *run) report(parent context.Context, start time.Time, results []report.Item) *report.Report {
	rep := &report.Report{
		Checklist:   report.ChecklistInfo{Name: r.redactor.String(r.cl.Name), Path: r.cl.Path, SHA256: r.cl.SHA256},
		Environment: r.cl.Environment,
		StartedAt:   start.UTC(),
		DurationMS:  r.opts.Now().Sub(start).Milliseconds(),
		Items:       slices.Clone(results),
		Interrupted: errors.Is(parent.Err(), context.Canceled),
		FailOn:      r.opts.FailOn,
	}
	met := true
	if r.opts.Signoffs != nil {
		rep.Signoffs, met = r.opts.Signoffs.Finish(rep)
	}
	sections := make([]report.Section, len(r.cl.Sections))
	for i, s := range r.cl.Sections {
		sections[i] = report.Section{ID: s.ID, Title: r.redactor.String(s.Title), MinPassRate: s.MinPassRate}
	}
	rep.Finish(sections, met)
	return rep
}
