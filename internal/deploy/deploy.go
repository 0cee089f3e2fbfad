// Package deploy watches a deployment while it happens: it runs the
// pre-deploy phase, the team's deploy command, and the post-deploy phase
// until it converges, probes the watched items meanwhile to measure
// outages and downtime, rolls back when told how, and records all of it
// as a report.Deployment. It decides the deployment's outcome once; the
// report's verdict follows from it. It never probes anything intrusive
// (the caller hands it only cheap targets) and never runs a command it was
// not given.
package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/report"
)

// Options are one deployment. Pre and Post run a phase of the checklist
// and return its finished report; they are the runner, injected so that
// this package stays about the deployment.
type Options struct {
	// Pre runs the pre-deploy phase; nil with --skip-pre.
	Pre func(ctx context.Context) *report.Report
	// Post runs the post-deploy phase against baseline (nil without one).
	// With converge it waits (--converge) for it to be ready; without, it
	// checks once.
	Post  func(ctx context.Context, baseline *report.Report, converge bool) *report.Report
	Force bool // deploy even if pre-deploy is not ready
	// Measure runs the post-deploy phase once before COMMAND, without
	// gating: its observations, with the pre-deploy run's, are the
	// baseline of the post-deploy run (matched by item id), so that
	// `p95 < baseline.p95 * 1.2` compares the same item before and after.
	// nil: the pre-deploy run alone is the baseline.
	Measure func(ctx context.Context) *report.Report
	// Baseline, when set, is the baseline instead (deploy --baseline).
	Baseline *report.Report

	Command  []string // argv
	Rollback []string // argv; nil = no rollback
	// Display is how Command is shown in the record (masked by the caller).
	Display string
	Grace   time.Duration // see RunCommand; 0 = Grace

	Watch    []Target
	Interval time.Duration
	// UserImpact names the item whose `value` observation (a Prometheus
	// query such as the share of failed requests) is the user impact.
	UserImpact string

	Clock  Clock
	Output io.Writer // the commands' output (readyctl's stderr)
	Logger *slog.Logger
}

// Run performs the deployment and returns the report to print: the
// post-deploy run (after the rollback, if one ran), or the pre-deploy run
// when the deployment stopped there, carrying the Deployment record. It
// never returns nil. When ctx is cancelled the report is marked
// interrupted and holds what was measured until then.
func Run(ctx context.Context, o Options) *report.Report {
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Output == nil {
		o.Output = io.Discard
	}
	if o.Grace <= 0 {
		o.Grace = Grace
	}
	clock := o.Clock
	d := &report.Deployment{StartedAt: clock.Now().UTC(), Command: o.Display, Outages: []report.Outage{}, PerformanceChange: map[string]report.Change{}}
	for _, t := range o.Watch {
		d.Watched = append(d.Watched, t.ID)
	}
	if len(o.Watch) > 0 {
		d.IntervalMS = o.Interval.Milliseconds()
	}
	var reasons []string

	var pre *report.Report
	if o.Pre != nil {
		o.Logger.Info("pre-deploy phase")
		pre = o.Pre(ctx)
		switch {
		case pre.Interrupted || ctx.Err() != nil:
			d.Outcome, d.Reason = report.OutcomeInterrupted, "interrupted during the pre-deploy phase; the command was not run"
			return finish(o, pre, d)
		case pre.Verdict != report.Ready && !o.Force:
			d.Outcome = report.OutcomeStopped
			d.Reason = "pre-deploy phase not ready (" + blockers(pre) + "); the command was not run (--force deploys anyway)"
			return finish(o, pre, d)
		case pre.Verdict != report.Ready:
			o.Logger.Warn("pre-deploy phase not ready; deploying anyway (--force)", "blocking", blockers(pre))
			reasons = append(reasons, "deployed with --force although pre-deploy was not ready ("+blockers(pre)+")")
		}
	}

	baseline := o.Baseline
	if baseline == nil {
		baseline = pre
		if o.Measure != nil {
			o.Logger.Info("measuring the post-deploy phase before deploying, as the baseline")
			baseline = Merge(pre, o.Measure(ctx))
		}
	}
	if ctx.Err() != nil {
		d.Outcome, d.Reason = report.OutcomeInterrupted, "interrupted before the deploy command ran"
		return finish(o, o.Post(ctx, baseline, false), d)
	}

	watchCtx, stopWatch := context.WithCancel(context.WithoutCancel(ctx))
	w := NewWatcher(o.Interval, clock)
	watching := make(chan struct{})
	go func() {
		defer close(watching)
		w.Run(watchCtx, o.Watch)
	}()
	stop := func() Result {
		stopWatch()
		<-watching
		return w.Stop(clock.Now())
	}

	o.Logger.Info("running the deploy command", "command", o.Display)
	res, err := RunCommand(ctx, o.Command, o.Output, o.Grace, clock)
	cmdEnd := clock.Now()
	d.DurationMS = res.Duration.Milliseconds()
	if res.Started {
		code := res.ExitCode
		d.ExitCode = &code
	}
	var final *report.Report
	failed := false
	switch {
	case ctx.Err() != nil:
		d.Outcome = report.OutcomeInterrupted
		reasons = append(reasons, "interrupted while the deploy command ran; it was sent SIGINT")
		watched := stop()
		final = o.Post(ctx, baseline, false) // cancelled: every item says it was not run
		return finish(o, final, measured(d, watched, o.Watch, strings.Join(reasons, "; ")))
	case err != nil:
		failed = true
		reasons = append(reasons, fmt.Sprintf("the deploy command could not be run: %v", err))
	case res.ExitCode != 0:
		failed = true
		reasons = append(reasons, fmt.Sprintf("the deploy command failed with exit code %d", res.ExitCode))
	}
	if !failed {
		o.Logger.Info("deploy command done; waiting for the post-deploy phase", "duration", res.Duration.Round(time.Millisecond))
		final = o.Post(ctx, baseline, true)
		if final.Verdict == report.Ready && !final.Interrupted {
			c := clock.Now().Sub(cmdEnd).Milliseconds()
			if end := final.StartedAt.Add(time.Duration(final.DurationMS) * time.Millisecond); !end.IsZero() {
				// When the last round finished, not when this line ran.
				c = max(0, end.Sub(cmdEnd).Milliseconds())
			}
			d.ConvergedMS = &c
		} else if !final.Interrupted {
			failed = true
			reasons = append(reasons, "post-deploy phase not ready ("+blockers(final)+")")
		}
	}
	switch {
	case ctx.Err() != nil:
		d.Outcome = report.OutcomeInterrupted
		reasons = append(reasons, "interrupted after the deploy command")
		if final == nil {
			final = o.Post(ctx, baseline, false)
		}
	case failed && len(o.Rollback) > 0:
		o.Logger.Warn("rolling back", "why", strings.Join(reasons, "; "))
		d.RolledBack, d.Outcome = true, report.OutcomeRolledBack
		rb, rbErr := RunCommand(ctx, o.Rollback, o.Output, o.Grace, clock)
		d.RollbackDurationMS = rb.Duration.Milliseconds()
		if rb.Started {
			code := rb.ExitCode
			d.RollbackExitCode = &code
		}
		switch {
		case ctx.Err() != nil:
			d.Outcome = report.OutcomeInterrupted
			reasons = append(reasons, "interrupted during the rollback")
		case rbErr != nil:
			reasons = append(reasons, fmt.Sprintf("the rollback could not be run: %v", rbErr))
		case rb.ExitCode != 0:
			reasons = append(reasons, fmt.Sprintf("rolled back, but the rollback command failed with exit code %d", rb.ExitCode))
		default:
			reasons = append(reasons, "rolled back")
		}
		// The rollback's verdict is the run's: the system as it is now.
		final = o.Post(ctx, baseline, ctx.Err() == nil)
		if final.Verdict == report.Ready {
			reasons = append(reasons, "post-deploy phase ready after the rollback")
		} else {
			reasons = append(reasons, "post-deploy phase still not ready after the rollback ("+blockers(final)+")")
		}
	case failed:
		if final == nil {
			// The command failed: show the system as it is, without
			// waiting for a convergence nothing will bring.
			final = o.Post(ctx, baseline, false)
			d.Outcome = report.OutcomeFailed
		} else {
			d.Outcome = report.OutcomeNotConverged
		}
		reasons = append(reasons, "no --rollback given")
	default:
		d.Outcome = report.OutcomeDeployed
	}
	watched := stop()
	return finish(o, final, measured(d, watched, o.Watch, strings.Join(reasons, "; ")))
}

// Merge is one baseline from several runs of disjoint phases: for each
// item, the first run that measured it (did not skip it).
func Merge(runs ...*report.Report) *report.Report {
	var out *report.Report
	for _, r := range runs {
		if r == nil {
			continue
		}
		if out == nil {
			cp := *r
			cp.Items = append([]report.Item(nil), r.Items...)
			out = &cp
			continue
		}
		index := map[string]int{}
		for i, it := range out.Items {
			index[it.ID] = i
		}
		for _, it := range r.Items {
			i, ok := index[it.ID]
			switch {
			case !ok:
				out.Items = append(out.Items, it)
			case out.Items[i].Status == report.Skip && it.Status != report.Skip:
				out.Items[i] = it
			}
		}
	}
	return out
}

// measured folds the watch into the record.
func measured(d *report.Deployment, w Result, targets []Target, reason string) *report.Deployment {
	critical := map[string]bool{}
	for _, t := range targets {
		critical[t.ID] = t.Critical
	}
	d.Outages = w.Outages
	d.DowntimeMS = Downtime(w.Outages, critical).Milliseconds()
	d.Probes, d.ProbeFailures = w.Probes, w.Failures
	if len(w.Open) > 0 {
		reason = strings.TrimPrefix(reason+"; still failing when the watch ended: "+strings.Join(w.Open, ", "), "; ")
	}
	d.Reason = reason
	return d
}

// finish completes the record from the final report and attaches it.
func finish(o Options, final *report.Report, d *report.Deployment) *report.Report {
	d.FinishedAt = o.Clock.Now().UTC()
	for _, it := range final.Items {
		if it.ID == o.UserImpact && it.Measured() {
			if v, ok := checks.Number(it.Observations["value"]); ok {
				d.UserImpact = &v
			}
		}
	}
	d.Issues = report.Issues{}
	for _, it := range final.Items {
		if it.Status != report.Fail && it.Status != report.Error {
			continue
		}
		switch it.Severity {
		case "critical":
			d.Issues.Critical++
		case "warning":
			d.Issues.Warning++
		default:
			d.Issues.Info++
		}
	}
	d.PerformanceChange = final.PerformanceChange()
	final.SetDeployment(d)
	return final
}

// blockers is a report's blockers on one bounded line.
func blockers(r *report.Report) string {
	bs := r.Blocking()
	const shown = 3
	lines := make([]string, 0, shown+1)
	for i, b := range bs {
		if i == shown {
			lines = append(lines, fmt.Sprintf("+%d more", len(bs)-shown))
			break
		}
		lines = append(lines, b.String())
	}
	if len(lines) == 0 {
		return "no blocker named"
	}
	return strings.Join(lines, "; ")
}

// ErrNoCommand is returned by callers for a deploy without COMMAND.
var ErrNoCommand = errors.New("no deploy command: give it after --, e.g. readyctl deploy -- ./deploy.sh")
