package report

import (
	"fmt"
	"github.com/readyctl/readyctl/checks"
	"math"
	"sort"
	"strings"
	"time"
)

// BaselineInfo says which earlier run a report was compared against.
type BaselineInfo struct {
	// Source is the baseline's file, or "pre-deploy" inside a deployment.
	Source    string    `json:"source"`
	StartedAt time.Time `json:"started_at"`
}

// ApplyBaseline fills each item's Changes with every numeric observation
// both the baseline and this run measured. Items are matched by id: an id
// names the same check in every phase and every run, so a deployment's
// post-deploy item compares with the pre-deploy item of the same id.
// Durations count in milliseconds; a baseline read from JSON holds them as
// strings ("12.5ms") and is read back as such.
func (r *Report) ApplyBaseline(base *Report, source string) {
	if base == nil {
		return
	}
	r.Baseline = &BaselineInfo{Source: source, StartedAt: base.StartedAt}
	before := make(map[string]map[string]any, len(base.Items))
	for _, it := range base.Items {
		if !it.Measured() {
			continue
		}
		before[it.ID] = it.Observations
	}
	for i := range r.Items {
		it := &r.Items[i]
		b, ok := before[it.ID]
		if !ok || !it.Measured() {
			continue
		}
		ch := Changes(b, it.Observations)
		if len(ch) > 0 {
			it.Changes = ch
		}
	}
}

// Measured says whether an item's observations are a measurement worth
// comparing: it ran, and did not stop short with an error. An expectation
// that had no baseline to compare with (no_baseline) stopped nothing: the
// probe measured everything, so such a run can be the next one's baseline.
func (it Item) Measured() bool {
	switch it.Status {
	case Skip:
		return false
	case Error:
		return it.Reason == checks.ReasonNoBaseline
	}
	return true
}

// Changes compares the numeric observations two runs of one item share,
// one level of map nesting deep ("findings.critical"). A baseline read
// from JSON holds durations as strings ("12.5ms"): such a string counts
// where the current run has a number.
func Changes(before, after map[string]any) map[string]Change {
	a := flatNumbers(after, "", 0, nil)
	b := flatNumbers(before, "", 0, func(name string) bool { _, ok := a[name]; return ok })
	return pair(b, a)
}

// ChangesJSON compares two items both read back from JSON reports, where
// every duration is a string: a string that parses as a duration on both
// sides counts as one.
func ChangesJSON(before, after map[string]any) map[string]Change {
	all := func(string) bool { return true }
	return pair(flatNumbers(before, "", 0, all), flatNumbers(after, "", 0, all))
}

func pair(b, a map[string]float64) map[string]Change {
	out := map[string]Change{}
	for name, av := range a {
		if bv, ok := b[name]; ok {
			out[name] = NewChange(bv, av)
		}
	}
	return out
}

// NewChange is the change from before to after.
func NewChange(before, after float64) Change {
	c := Change{Before: before, After: after}
	switch {
	case before == 0 && after == 0:
	case before == 0:
		c.New = true
	default:
		c.Percent = math.Round((after-before)/math.Abs(before)*1000) / 10
	}
	return c
}

// String is "1.2 → 1.5 (+25.0%)".
func (c Change) String() string { return c.text(false) }

// text is String, with the values as durations when they are (they are
// kept in milliseconds).
func (c Change) text(duration bool) string {
	num := func(f float64) string {
		if duration {
			return time.Duration(f * float64(time.Millisecond)).Round(time.Microsecond).String()
		}
		return fmt.Sprintf("%.4g", f)
	}
	if c.New {
		return fmt.Sprintf("%s → %s (was 0)", num(c.Before), num(c.After))
	}
	return fmt.Sprintf("%s → %s (%+.1f%%)", num(c.Before), num(c.After), c.Percent)
}

// isDuration says whether an item's observation (dotted path) is a duration.
func isDuration(it Item, name string) bool {
	v, ok := lookupPath(it.Observations, name)
	if _, d := v.(time.Duration); ok && d {
		return true
	}
	if s, isStr := v.(string); ok && isStr {
		_, err := time.ParseDuration(s) // a report read back from JSON
		return err == nil
	}
	return false
}

// flatNumbers picks the numeric observations; durationString says for
// which names a string holding a duration counts too (nil: none).
func flatNumbers(obs map[string]any, prefix string, depth int, durationString func(name string) bool) map[string]float64 {
	out := map[string]float64{}
	for k, v := range obs {
		name := prefix + k
		if m, ok := v.(map[string]any); ok {
			if depth == 0 {
				for kk, vv := range flatNumbers(m, name+".", 1, durationString) {
					out[kk] = vv
				}
			}
			continue
		}
		if f, ok := checks.Number(v); ok {
			out[name] = f
			continue
		}
		if s, ok := v.(string); ok && durationString != nil && durationString(name) {
			if d, err := time.ParseDuration(s); err == nil {
				out[name] = float64(d) / float64(time.Millisecond)
			}
		}
	}
	return out
}

// PerformanceChange is the change of the key observations (checks.
// Observation.Key) that measure performance: durations and rates (a load
// test's p95, rps and error_rate, a probe's latency), not codes and counts
// (an HTTP status); keyed "ITEM.OBS".
func (r *Report) PerformanceChange() map[string]Change {
	out := map[string]Change{}
	for _, it := range r.Items {
		for _, k := range it.Key {
			c, ok := it.Changes[k]
			if !ok {
				continue
			}
			v, _ := lookupPath(it.Observations, k)
			switch v.(type) {
			case time.Duration, float64, float32:
				out[it.ID+"."+k] = c
			}
		}
	}
	return out
}

// changeLine is an item's changes on one line, sorted by name, key
// observations first.
func changeLine(it Item) string {
	if len(it.Changes) == 0 {
		return ""
	}
	names := make([]string, 0, len(it.Changes))
	for k := range it.Changes {
		names = append(names, k)
	}
	key := map[string]bool{}
	for _, k := range it.Key {
		key[k] = true
	}
	sort.Slice(names, func(i, j int) bool {
		if key[names[i]] != key[names[j]] {
			return key[names[i]]
		}
		return names[i] < names[j]
	})
	parts := make([]string, 0, len(names))
	for _, n := range names {
		parts = append(parts, n+" "+it.Changes[n].text(isDuration(it, n)))
	}
	return strings.Join(parts, ", ")
}
