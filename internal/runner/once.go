package runner

import (
	"context"
	"log/slog"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/redact"
	"github.com/readyctl/readyctl/internal/report"
)

// Once runs one attempt of one probe item, with the item's timeout and its
// expectations, and no retries, dependencies or sign-offs: the watching of
// a deployment samples an item's state at an instant, and a retry would
// hide the very outage it is there to measure. Manual items and probes
// that must not run here (intrusive, unavailable) come back skipped.
func Once(ctx context.Context, cl *checklist.Checklist, it *checklist.Item, opts Options) report.Item {
	if opts.Clock == nil {
		opts.Clock = realClock{}
	}
	if opts.Observer == nil {
		opts.Observer = nopObserver{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	r := &run{cl: cl, opts: opts, redactor: redact.New(cl.Secrets)}
	res := r.base(it)
	if it.Manual != nil {
		res.Status, res.Reason, res.Message = report.Skip, checks.ReasonNotSelected, "a manual item is not probed"
		return res
	}
	if reason, msg, skip := r.gate(it); skip {
		res.Status, res.Reason, res.Message = report.Skip, reason, msg
		return res
	}
	start := opts.Clock.Now()
	status, reason, msg, obs := r.attempt(ctx, it)
	res.Status, res.Reason, res.Message = status, reason, r.redactor.String(msg)
	res.Observations = r.redactor.Map(obs)
	if res.Observations == nil {
		res.Observations = map[string]any{}
	}
	res.Attempts = 1
	res.DurationMS = opts.Clock.Now().Sub(start).Milliseconds()
	res.Key = keyObservations(it.Kind)
	return res
}
