package promcheck

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/readyctl/readyctl/checks"
)

// listed is how many series a message names before "and N more".
const listed = 5

// checkQuery runs the query and fills query, result, value, series and
// warnings. Observations carry NaN and Inf as float64 NaN/±Inf; unless
// allow_non_finite is set they fail the probe before expect: is evaluated,
// because expr-lang comparisons with them do not fail reliably:
// NaN < x and NaN > x are false, but NaN != x is true, and -Inf < x is true.
func (p *Probe) checkQuery(ctx context.Context, c promAPI, obs checks.Observations) ([]string, error) {
	obs["query"] = p.Query
	desc := fmt.Sprintf("query %q", p.Query)
	rctx, cancel := p.request(ctx)
	defer cancel()

	var (
		res      []sample
		warnings []string
		err      error
	)
	if r := p.Range; r != nil {
		end := time.Now()
		desc = fmt.Sprintf("range query %q over the last %s at step %s", p.Query, r.Window, r.step())
		res, warnings, err = c.QueryRange(rctx, p.Query, end.Add(-r.Window), end, r.step(), p.Timeout)
	} else {
		res, warnings, err = c.Query(rctx, p.Query, time.Time{}, p.Timeout)
	}
	obs["warnings"] = anyList(warnings)
	if err != nil {
		return nil, p.requestError(ctx, desc, err)
	}

	result := make([]any, 0, len(res))
	series := make([]any, 0, len(res))
	for _, s := range res {
		result = append(result, s.Value)
		labels := make(map[string]any, len(s.Labels))
		for k, v := range s.Labels {
			labels[k] = v
		}
		series = append(series, map[string]any{"labels": labels, "value": s.Value, "time": s.Time})
	}
	obs["result"] = result
	obs["series"] = series
	obs["value"] = nil
	if len(res) > 0 {
		obs["value"] = res[0].Value
	}

	if len(res) == 0 {
		if p.AllowEmpty {
			return nil, nil
		}
		return nil, checks.WithReason(checks.ReasonNoData, fmt.Errorf("%s returned no data (set allow_empty: true if that is fine)", desc))
	}
	if !p.AllowNonFinite {
		var bad []string
		for _, s := range res {
			if math.IsNaN(s.Value) || math.IsInf(s.Value, 0) {
				bad = append(bad, formatSample(s, p.Range != nil))
			}
		}
		if len(bad) > 0 {
			return nil, checks.Fail("non_finite", "%s returned %s: NaN and Inf fail every threshold (a ratio over no traffic is 0/0 = NaN); set allow_non_finite: true to judge them in expect:",
				desc, listSome(bad, listed))
		}
	}
	return nil, nil
}

// formatSample writes a sample the way PromQL users read them:
// {job="api"} 0.25 (with @time for range samples).
func formatSample(s sample, withTime bool) string {
	out := formatLabels(s.Labels) + " " + formatValue(s.Value)
	if withTime {
		out += " @" + s.Time.UTC().Format(time.RFC3339)
	}
	return out
}

// formatLabels writes labels as {a="1", b="2"}, __name__ first as a prefix.
func formatLabels(l map[string]string) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		if k != "__name__" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+strconv.Quote(l[k]))
	}
	return l["__name__"] + "{" + strings.Join(parts, ", ") + "}"
}

// formatValue writes NaN, +Inf and -Inf as Prometheus does.
func formatValue(v float64) string {
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// listSome joins up to n items and says how many more there are.
func listSome(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func anyList(ss []string) []any {
	out := make([]any, 0, len(ss))
	for _, s := range ss {
		out = append(out, s)
	}
	return out
}
