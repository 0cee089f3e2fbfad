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
	"github.com/readyctl/readyctl/internal/expect"
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
	// Skip and ExcludeTags leave items out whatever else selects them,
	// even when a selected item depends on them: the dependent is then
	// reported as skipped (reason dependency) and blocks like a failure
	// if its severity blocks. An excluded item is never run to make a
	// selected one checkable, and never assumed to pass.
	Skip        []string      // item ids
	ExcludeTags []string      // any of
	Wait        time.Duration // re-run until ready or this passes; 0 = once
	// StableFor: the verdict counts only once every blocking probe has
	// passed continuously for this long (re-run each round meanwhile). A
	// probe that has not by the end is failed with reason unstable.
	StableFor time.Duration
	FailOn    string   // "critical" (default) or "warning"
	Observer  Observer // nil = silent (a --wait round is then logged)
	Signoffs  Signoffs // nil = every manual item is pending
	// ReloadSignoffs is called before every --wait round after the first;
	// its result replaces Signoffs, so a sign-off written during the wait
	// counts. An error is logged and the previous Signoffs kept.
	ReloadSignoffs func(ctx context.Context) (Signoffs, error)
	Logger         *slog.Logger // nil = discard
	Clock          Clock        // nil = the real clock

	// Release is the run's release (--release, else the commit checked
	// out), copied into the report; the Signoffs were judged for it.
	Release string
	// AllowIntrusive lets probes that send load or attack-like traffic
	// (checks.Intrusive) run; otherwise they are skipped, non-blocking.
	AllowIntrusive bool
	// Baseline holds the observations of an earlier run by item id
	// (--baseline, or a deployment's pre-deploy run): expressions read
	// them as baseline.NAME.
	Baseline map[string]map[string]any
}

// Clock is the runner's time: backoff between --wait rounds, retry delays,
// durations. Tests pass a fake one so that waiting costs no real time.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Run runs the checklist and returns its report; it never returns nil.
// When ctx is cancelled (SIGINT), running probes are cancelled and the
// report says what was measured so far, with Interrupted set.
func Run(ctx context.Context, cl *checklist.Checklist, opts Options) *report.Report {
	if opts.Clock == nil {
		opts.Clock = realClock{}
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
	// learned are secrets probes found at run time (checks.AddSecret: a
	// token a flow captured); redactWith is redactor plus them.
	secretsMu  sync.Mutex
	learned    map[string]bool
	redactWith *redact.Redactor
	// alone is held shared by every running probe and exclusively by an
	// exclusive item: it waits for what runs and holds back the rest.
	alone sync.RWMutex
}

func (r *run) do(parent context.Context) *report.Report {
	clock := r.opts.Clock
	start := clock.Now()
	ctx := parent
	if r.opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(parent, r.opts.Timeout)
		defer cancel()
	}
	items := r.cl.Items()
	selected := r.selection(items)
	results := make([]report.Item, len(items))
	todo := make([]int, 0, len(items))
	for i, it := range items {
		results[i] = r.base(it)
		if why, ok := selected[it.ID]; !ok || why != "" {
			results[i].Status = report.Skip
			results[i].Reason = checks.ReasonNotSelected
			results[i].Message = "not selected by --only, --tags or --phase"
			if why != "" {
				results[i].Message = why
			}
			continue
		}
		todo = append(todo, i)
	}
	w := &waiter{run: r, items: items, results: results, start: start, first: map[int]time.Time{}, since: map[int]time.Time{}}
	deadline := start.Add(r.opts.Wait)
	backoff := 500 * time.Millisecond
	for round := 1; ; round++ {
		if round > 1 && r.opts.ReloadSignoffs != nil {
			if s, err := r.opts.ReloadSignoffs(ctx); err != nil {
				r.opts.Logger.Warn("re-reading sign-offs failed; keeping the previous ones", "err", err)
			} else {
				r.opts.Signoffs = s
			}
		}
		r.opts.Observer.Started(len(todo))
		// Items of one round share open connections (checks.Pool), never
		// across rounds: each --wait round dials afresh.
		pool := checks.NewPool()
		finished := r.round(checks.WithPool(ctx, pool), items, todo, results)
		pool.Close()
		w.observe(todo, finished)
		rep := r.report(parent, start, results, w, round)
		if (r.opts.Wait <= 0 && r.opts.StableFor <= 0) || ctx.Err() != nil {
			return rep
		}
		now := clock.Now()
		unstable := w.unstable(now)
		if rep.Verdict == report.Ready && len(unstable) == 0 {
			return rep
		}
		blockers := rep.Blocking()
		remaining := deadline.Sub(now)
		if remaining <= 0 || !w.canChange(rep, blockers, unstable) {
			if len(unstable) > 0 {
				// Not proven stable: that is a failure of the item, which
				// then blocks through the one rule.
				w.failUnstable(unstable, now)
				rep = r.report(parent, start, results, w, round)
			}
			return rep
		}
		todo = w.again()
		sleep := min(backoff, remaining)
		lines := w.describe(blockers, unstable, now)
		if _, quiet := r.opts.Observer.(nopObserver); quiet {
			// No live progress line to collide with: one log line.
			r.opts.Logger.Info("not ready yet, waiting", "round", round, "blocking", summary(lines), "retry_in", sleep.Round(time.Millisecond))
		} else {
			r.opts.Observer.Waiting(round, lines, sleep)
		}
		select {
		case <-ctx.Done():
			return r.report(parent, start, results, w, round)
		case <-clock.After(sleep):
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
		if why, ok := sel[it.ID]; ok && why == "" {
			out = append(out, it)
		}
	}
	return out
}

// selection applies --only/--tags/--phase and pulls in the dependencies of
// what is selected: an item cannot be judged without them. --skip and
// --exclude-tags win over everything, dependencies included. The map holds
// every selected id with "", and every excluded one with why.
func (r *run) selection(items []*checklist.Item) map[string]string {
	byID := map[string]*checklist.Item{}
	for _, it := range items {
		byID[it.ID] = it
	}
	sel := map[string]string{}
	var add func(it *checklist.Item)
	add = func(it *checklist.Item) {
		if _, seen := sel[it.ID]; seen {
			return
		}
		if why := r.opts.excluded(it); why != "" {
			sel[it.ID] = why
			return
		}
		sel[it.ID] = ""
		for _, d := range it.DependsOn {
			if dep, ok := byID[d]; ok {
				add(dep)
			}
		}
	}
	for _, it := range items {
		if r.opts.picks(it) {
			add(it)
		}
	}
	return sel
}

// excluded says why --skip or --exclude-tags leaves an item out, or "".
func (o Options) excluded(it *checklist.Item) string {
	if slices.Contains(o.Skip, it.ID) {
		return "excluded by --skip"
	}
	for _, t := range o.ExcludeTags {
		if slices.Contains(it.Tags, t) {
			return "excluded by --exclude-tags " + t
		}
	}
	return ""
}

// picks applies --only, --phase and --tags; exclusions come after.
func (o Options) picks(it *checklist.Item) bool {
	if len(o.Only) > 0 && !slices.Contains(o.Only, it.ID) {
		return false
	}
	if o.Phase != "" && it.Phase != o.Phase {
		return false
	}
	if len(o.Tags) > 0 {
		for _, t := range o.Tags {
			if slices.Contains(it.Tags, t) {
				return true
			}
		}
		return false
	}
	return true
}

// Matches reports whether the selection (--only, --phase, --tags, --skip,
// --exclude-tags) picks it, before dependencies are pulled in. The CLI
// uses it to refuse a selection that matches nothing.
func (o Options) Matches(it *checklist.Item) bool {
	return o.picks(it) && o.excluded(it) == ""
}

func (r *run) selectionInfo() *report.Selection {
	o := r.opts
	if o.Phase == "" && len(o.Only)+len(o.Tags)+len(o.Skip)+len(o.ExcludeTags) == 0 {
		return nil
	}
	return &report.Selection{Phase: o.Phase, Only: o.Only, Tags: o.Tags, Skip: o.Skip, ExcludeTags: o.ExcludeTags}
}

func (r *run) base(it *checklist.Item) report.Item {
	return report.Item{
		ID: it.ID, Section: it.Section.ID, Title: r.redactor.String(it.Title), Kind: it.Kind,
		Severity: string(it.Severity), Observations: map[string]any{},
		// The checklist's own path until items carry the file they were
		// included from.
		File: itemFile(r.cl, it), Line: idLine(it),
	}
}

// itemFile is the file the item is written in: an included file, or the
// checklist itself.
func itemFile(cl *checklist.Checklist, it *checklist.Item) string {
	if it.File != "" {
		return it.File
	}
	return cl.Path
}

// idLine is the line of the item's `id:`, which annotations point at; the
// item's first line when the id is not found as written.
func idLine(it *checklist.Item) int {
	if it.Raw != nil {
		for i := 0; i+1 < len(it.Raw.Content); i += 2 {
			if it.Raw.Content[i].Value == "id" {
				return it.Raw.Content[i].Line
			}
		}
	}
	return it.Line
}

// round runs the items at indexes todo, each after its dependencies, and
// returns when each finished (by the run's clock).
//
// At most Concurrency workers run, each taking the next item whose
// dependencies in this round have finished, in checklist order. Waiting
// items are only indexes in a queue: a goroutine per item, blocked until
// its turn, cost 10,000 stacks (about 50 MiB) on a checklist of 10,000
// items (issue 16).
func (r *run) round(ctx context.Context, items []*checklist.Item, todo []int, results []report.Item) map[int]time.Time {
	index := map[string]int{}
	for i, it := range items {
		index[it.ID] = i
	}
	done := make(map[string]chan struct{}, len(todo))
	for _, i := range todo {
		done[items[i].ID] = make(chan struct{})
	}
	// waiting[i] counts i's dependencies that run in this round and have
	// not finished; dependents[d] lists the items waiting for d.
	waiting := make(map[int]int, len(todo))
	dependents := map[int][]int{}
	for _, i := range todo {
		for _, d := range items[i].DependsOn {
			if _, ok := done[d]; ok {
				waiting[i]++
				dependents[index[d]] = append(dependents[index[d]], i)
			}
		}
	}
	queue := make(chan int, len(todo))
	for _, i := range todo {
		if waiting[i] == 0 {
			queue <- i
		}
	}
	var mu sync.Mutex // guards results, finished, waiting and left
	finished := make(map[int]time.Time, len(todo))
	left := len(todo)
	if left == 0 {
		close(queue)
	}
	worker := func() {
		for i := range queue {
			it := items[i]
			res := r.runOne(ctx, it, done, func(dep string) report.Item {
				mu.Lock()
				defer mu.Unlock()
				return results[index[dep]]
			})
			mu.Lock()
			results[i] = res
			finished[i] = r.opts.Clock.Now()
			mu.Unlock()
			// An observer hears of an item before any of its dependents
			// starts.
			r.opts.Observer.Finished(res)
			close(done[it.ID])
			mu.Lock()
			for _, j := range dependents[i] {
				if waiting[j]--; waiting[j] == 0 {
					queue <- j
				}
			}
			if left--; left == 0 {
				close(queue)
			}
			mu.Unlock()
		}
	}
	var wg sync.WaitGroup
	for range min(r.opts.Concurrency, len(todo)) {
		wg.Go(worker)
	}
	wg.Wait()
	return finished
}

func (r *run) runOne(ctx context.Context, it *checklist.Item, done map[string]chan struct{}, result func(string) report.Item) report.Item {
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
			if dr.Reason == checks.ReasonNotSelected {
				// --skip/--exclude-tags left it out: unchecked is not passed.
				res.Message = fmt.Sprintf("dependency %q was not checked (%s)", d, dr.Message)
			}
			return res
		}
	}
	if it.Manual != nil {
		return r.manual(it, res)
	}
	if reason, msg, skip := r.gate(it); skip {
		res.Status, res.Reason, res.Message = report.Skip, reason, msg
		return res
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
	start := r.opts.Clock.Now()
	for attempt := 1; ; attempt++ {
		res.Attempts = attempt
		actx := ctx
		if attempt > 1 {
			// A retry gets a second opinion over connections of its own,
			// not the shared ones its failed attempt may have used.
			actx = checks.WithPool(ctx, nil)
		}
		status, reason, msg, obs := r.attempt(actx, it)
		red := r.currentRedactor()
		res.Status, res.Reason, res.Message = status, reason, red.String(msg)
		res.Observations = red.Map(obs)
		if res.Observations == nil {
			res.Observations = map[string]any{}
		}
		if status == report.Pass || attempt > it.Retries || ctx.Err() != nil || reason == checks.ReasonConfig {
			break
		}
		r.opts.Logger.Debug("attempt failed, retrying", "item", it.ID, "attempt", attempt, "status", status, "reason", reason, "message", res.Message)
		select {
		case <-ctx.Done():
		case <-r.opts.Clock.After(it.RetryDelay):
		}
		if ctx.Err() != nil {
			break
		}
	}
	res.DurationMS = r.opts.Clock.Now().Sub(start).Milliseconds()
	res.Key = keyObservations(it.Kind)
	if res.Status == report.Fail || res.Status == report.Error {
		res = r.waive(it, res)
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
	ctx = checks.WithSecrets(ctx, r.learn)
	defer func() {
		if p := recover(); p != nil {
			r.opts.Logger.Error("probe panicked", "item", it.ID, "kind", it.Kind, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			status, reason, msg = report.Error, checks.ReasonPanic, fmt.Sprintf("probe %s panicked: %v (this is a bug in readyctl)", it.Kind, p)
		}
	}()
	obs, err := it.Probe.Run(ctx)
	kind, _ := checks.Lookup(it.Kind)
	for _, problem := range checks.Undeclared(kind, obs) {
		r.opts.Logger.Warn("undeclared observation (a bug in readyctl)", "item", it.ID, "problem", problem)
	}
	switch {
	case err == nil:
		var failed []string
		for i, e := range it.Expect {
			ok, m, evalErr := e.EvalWith(ctx, obs, r.opts.Baseline[it.ID])
			if errors.Is(evalErr, expect.ErrNoBaseline) {
				return report.Error, checks.ReasonNoBaseline, fmt.Sprintf("expect[%d] %s", i, m), obs
			}
			if evalErr != nil {
				// Evaluation is bounded by the attempt's deadline like
				// the probe: a runaway expression is cut off, not waited for.
				switch {
				case parent.Err() != nil:
					return r.cutShort(parent, obs)
				case errors.Is(evalErr, context.DeadlineExceeded):
					return report.Error, checks.ReasonTimeout, fmt.Sprintf("expect[%d] %s: evaluation did not finish within the item's timeout %s", i, e.Source, it.Timeout), obs
				}
				return report.Error, checks.ReasonInterrupted, fmt.Sprintf("expect[%d] %s: evaluation interrupted", i, e.Source), obs
			}
			if !ok {
				failed = append(failed, m)
			}
		}
		if len(failed) > 0 {
			for _, name := range kind.Context {
				if v, ok := obs[name]; ok {
					failed = append(failed, fmt.Sprintf("%s was %s", name, checklist.FormatValue(v)))
				}
			}
			return report.Fail, checks.ReasonAssertion, strings.Join(failed, "; "), obs
		}
		return report.Pass, "", "", obs
	case checks.Classify(err) == checks.ReasonConfig:
		// The checklist asks for what cannot be done: waiting or
		// retrying will not change that, and it is not the target's fault.
		return report.Error, checks.ReasonConfig, err.Error(), obs
	case parent.Err() != nil:
		return r.cutShort(parent, obs)
	case ctx.Err() == context.DeadlineExceeded:
		return report.Error, checks.ReasonTimeout, fmt.Sprintf("no answer within %s: %v", it.Timeout, err), obs
	}
	var f *checks.Failure
	if errors.As(err, &f) {
		return report.Fail, f.Reason, f.Message, obs
	}
	return report.Error, checks.Classify(err), err.Error(), obs
}

// cutShort is the result of an attempt stopped because the whole run was
// cut short: say so rather than blame the target.
func (r *run) cutShort(parent context.Context, obs checks.Observations) (report.Status, string, string, checks.Observations) {
	if errors.Is(parent.Err(), context.DeadlineExceeded) {
		return report.Error, checks.ReasonTimeout, fmt.Sprintf("run timeout (--timeout %s) reached while checking", r.opts.Timeout), obs
	}
	return report.Error, checks.ReasonInterrupted, "interrupted while checking", obs
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

func (r *run) report(parent context.Context, start time.Time, results []report.Item, w *waiter, round int) *report.Report {
	rep := &report.Report{
		Checklist:   report.ChecklistInfo{Name: r.redactor.String(r.cl.Name), Path: r.cl.Path, SHA256: r.cl.SHA256},
		Environment: r.cl.Environment,
		StartedAt:   start.UTC(),
		DurationMS:  r.opts.Clock.Now().Sub(start).Milliseconds(),
		Items:       slices.Clone(results),
		Interrupted: errors.Is(parent.Err(), context.Canceled),
		FailOn:      r.opts.FailOn,
		Selection:   r.selectionInfo(),
		Release:     r.opts.Release,
	}
	if r.opts.Wait > 0 {
		rep.Rounds = round
		w.stamp(rep.Items)
	}
	var met bool
	rep.Signoffs, met = r.signoffTable(rep.Items)
	sections := make([]report.Section, len(r.cl.Sections))
	for i, s := range r.cl.Sections {
		sections[i] = report.Section{ID: s.ID, Title: r.redactor.String(s.Title), MinPassRate: s.MinPassRate}
	}
	rep.Finish(sections, met)
	return rep
}

// keyObservations names the observations kind marks as key: the text
// report shows them first beside a failing item.
func keyObservations(kind string) []string {
	k, _ := checks.Lookup(kind)
	var out []string
	for _, o := range k.Observations {
		if o.Key {
			out = append(out, o.Name)
		}
	}
	return out
}

// learn adds a secret a probe found at run time; every result redacted
// after it masks it too.
func (r *run) learn(secret string) {
	r.secretsMu.Lock()
	defer r.secretsMu.Unlock()
	if r.learned[secret] {
		return
	}
	if r.learned == nil {
		r.learned = map[string]bool{}
	}
	r.learned[secret] = true
	r.redactWith = nil
}

// currentRedactor is the checklist's secrets plus those learned so far.
func (r *run) currentRedactor() *redact.Redactor {
	r.secretsMu.Lock()
	defer r.secretsMu.Unlock()
	if len(r.learned) == 0 {
		return r.redactor
	}
	if r.redactWith == nil {
		extra := make([]string, 0, len(r.learned))
		for s := range r.learned {
			extra = append(extra, s)
		}
		r.redactWith = r.redactor.With(extra...)
	}
	return r.redactWith
}
