package runner

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/report"
)

// waiter keeps what --wait and --stable-for need across rounds: when each
// item first passed, since when it has passed without a break, and which
// blockers could still change.
type waiter struct {
	run      *run
	items    []*checklist.Item
	results  []report.Item
	start    time.Time
	first    map[int]time.Time // first pass of each item
	since    map[int]time.Time // start of each item's current unbroken run of passes
	lastFail map[int]string    // the last failure of an item that has since passed
}

// observe records the items of a round as they finished.
func (w *waiter) observe(ran []int, at map[int]time.Time) {
	if w.lastFail == nil {
		w.lastFail = map[int]string{}
	}
	for _, i := range ran {
		t, ok := at[i]
		if !ok {
			continue
		}
		if w.results[i].Status != report.Pass {
			delete(w.since, i)
			if m := w.results[i].Message; m != "" {
				w.lastFail[i] = m
			}
			continue
		}
		if _, ok := w.first[i]; !ok {
			w.first[i] = t
		}
		if _, ok := w.since[i]; !ok {
			w.since[i] = t
		}
	}
}

// mustBeStable: a selected probe whose severity blocks. Manual items are
// decisions, not measurements, and non-blocking items cannot hold the gate.
func (w *waiter) mustBeStable(i int) bool {
	return w.items[i].Manual == nil && w.results[i].Reason != checks.ReasonNotSelected &&
		report.Blocks(w.results[i].Severity, w.run.opts.FailOn)
}

// unstable lists the passing blocking probes that have not yet passed
// continuously for StableFor.
func (w *waiter) unstable(now time.Time) []int {
	if w.run.opts.StableFor <= 0 {
		return nil
	}
	var out []int
	for i := range w.items {
		if w.results[i].Status != report.Pass || !w.mustBeStable(i) {
			continue
		}
		if now.Sub(w.since[i]) < w.run.opts.StableFor {
			out = append(out, i)
		}
	}
	return out
}

// failUnstable turns the passing-but-unproven items into failures: the
// verdict must not count a probe that has not been stable for long enough.
func (w *waiter) failUnstable(unstable []int, now time.Time) {
	for _, i := range unstable {
		res := &w.results[i]
		res.Status, res.Reason = report.Fail, checks.ReasonUnstable
		res.Message = fmt.Sprintf("passed for only %s of --stable-for %s", now.Sub(w.since[i]).Round(time.Millisecond), w.run.opts.StableFor)
		if m := w.lastFail[i]; m != "" {
			res.Message += " (last failure: " + m + ")"
		}
	}
}

// again is what the next round runs: whatever is not passing and, with
// --stable-for, every blocking probe, so that a flap resets its window.
func (w *waiter) again() []int {
	var out []int
	for i := range w.items {
		res := w.results[i]
		if res.Reason == checks.ReasonNotSelected {
			continue
		}
		notPassing := res.Status != report.Pass && res.Status != report.Waived
		if notPassing || (w.run.opts.StableFor > 0 && w.mustBeStable(i)) {
			out = append(out, i)
		}
	}
	return out
}

// canChange: is anything that blocks still able to change by waiting? A
// probe can be re-run, a manual item's sign-off re-read (only with
// ReloadSignoffs); an item left out, a configuration error, a missing
// approval, an interrupted run cannot.
func (w *waiter) canChange(rep *report.Report, blockers []report.Blocker, unstable []int) bool {
	if len(unstable) > 0 {
		return true
	}
	index := make(map[string]int, len(w.items))
	for i, it := range w.items {
		index[it.ID] = i
	}
	seen := map[int]bool{}
	for _, b := range blockers {
		switch {
		case b.Item != "":
			if i, ok := index[b.Item]; ok && w.changeable(i, index, seen) {
				return true
			}
		case b.Section != "":
			for i, res := range w.results {
				if res.Section == b.Section && res.Status != report.Pass && res.Status != report.Waived && w.changeable(i, index, seen) {
					return true
				}
			}
		}
		// A required approval (b.Role) is given to a finished report
		// (readyctl approve --report): waiting for one would wait for
		// this run's own end, so it alone never keeps a run waiting.
		// Sign-offs are still re-read each round while something else
		// does, so one that arrives meanwhile counts.
	}
	return false
}

func (w *waiter) changeable(i int, index map[string]int, seen map[int]bool) bool {
	if seen[i] {
		return false // already looked at (or a cycle): no new answer here
	}
	seen[i] = true
	res := w.results[i]
	switch {
	case slices.Contains([]string{checks.ReasonNotSelected, checks.ReasonConfig, checks.ReasonIntrusiveNotAllowed}, res.Reason):
		return false
	case w.items[i].Manual != nil:
		return w.run.opts.ReloadSignoffs != nil
	case res.Status == report.Skip && res.Reason == checks.ReasonDependency:
		for _, d := range w.items[i].DependsOn {
			if j, ok := index[d]; ok && w.results[j].Status != report.Pass && w.results[j].Status != report.Waived && w.changeable(j, index, seen) {
				return true
			}
		}
		return false
	case res.Status == report.Skip:
		return false
	}
	return true
}

// describe says, in a few words each, what still blocks this round.
func (w *waiter) describe(blockers []report.Blocker, unstable []int, now time.Time) []string {
	lines := make([]string, 0, len(blockers)+len(unstable))
	for _, b := range blockers {
		lines = append(lines, b.String())
	}
	for _, i := range unstable {
		lines = append(lines, fmt.Sprintf("%s: passing for %s, needs %s", w.items[i].ID, now.Sub(w.since[i]).Round(time.Second), w.run.opts.StableFor))
	}
	return lines
}

// stamp sets FirstPassMS on the report's items.
func (w *waiter) stamp(items []report.Item) {
	for i, t := range w.first {
		d := t.Sub(w.start)
		// Rounded up: an item that passed at once still says it passed.
		items[i].FirstPassMS = max(1, (d + time.Millisecond - 1).Milliseconds())
	}
}

// summary joins round lines for a log, bounded: the first few and a count.
func summary(lines []string) string {
	const shown = 5
	if len(lines) <= shown {
		return strings.Join(lines, "; ")
	}
	return strings.Join(lines[:shown], "; ") + fmt.Sprintf("; +%d more", len(lines)-shown)
}
