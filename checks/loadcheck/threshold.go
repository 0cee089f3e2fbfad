package loadcheck

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A threshold is one parsed entry of `thresholds:`, in k6's grammar:
// METRIC OP VALUE, e.g. "p(95) < 2s" or "error_rate < 0.01".
type threshold struct {
	text   string // as written, for reports
	metric string // as written, e.g. "p(95)", "p95", "avg"
	kind   metricKind
	pct    float64 // percentile for kindPercentile
	op     string
	limit  float64 // nanoseconds for latency metrics
}

type metricKind int

const (
	kindPercentile metricKind = iota
	kindAvg
	kindMin
	kindMax
	kindErrorRate
	kindRPS
	kindRequests
	kindErrors
)

func (k metricKind) latency() bool { return k <= kindMax }

var namedMetrics = map[string]metricKind{
	"avg":        kindAvg,
	"mean":       kindAvg,
	"med":        kindPercentile,
	"min":        kindMin,
	"max":        kindMax,
	"error_rate": kindErrorRate,
	"rps":        kindRPS,
	"requests":   kindRequests,
	"errors":     kindErrors,
}

// Longest operators first so "<=" is not read as "<".
var operators = []string{"<=", ">=", "==", "!=", "<", ">"}

func parseThreshold(s string) (threshold, error) {
	th := threshold{text: strings.TrimSpace(s)}
	rest := th.text
	// The metric runs up to the first operator character.
	i := strings.IndexAny(rest, "<>=!")
	if i < 0 {
		return th, fmt.Errorf("%q has no comparison: write it like \"p(95) < 2s\" or \"error_rate < 0.01\"", s)
	}
	th.metric = strings.TrimSpace(rest[:i])
	rest = rest[i:]
	for _, op := range operators {
		if strings.HasPrefix(rest, op) {
			th.op = op
			break
		}
	}
	if th.op == "" {
		return th, fmt.Errorf("%q: unknown operator; use <, <=, >, >=, == or !=", s)
	}
	value := strings.TrimSpace(rest[len(th.op):])
	if value == "" {
		return th, fmt.Errorf("%q has no value after %s", s, th.op)
	}

	if err := th.parseMetric(); err != nil {
		return th, fmt.Errorf("%q: %w", s, err)
	}
	limit, err := parseLimit(th.kind, value)
	if err != nil {
		return th, fmt.Errorf("%q: %w", s, err)
	}
	th.limit = limit
	return th, nil
}

func (th *threshold) parseMetric() error {
	m := strings.ToLower(th.metric)
	if k, ok := namedMetrics[m]; ok {
		th.kind = k
		if m == "med" {
			th.pct = 50
		}
		return nil
	}
	var num string
	switch {
	case strings.HasPrefix(m, "p(") && strings.HasSuffix(m, ")"):
		num = strings.TrimSpace(m[2 : len(m)-1])
	case strings.HasPrefix(m, "p") && len(m) > 1:
		num = m[1:]
	default:
		return fmt.Errorf("unknown metric %q; use p(N), pN, avg, med, min, max, error_rate, rps, requests or errors", th.metric)
	}
	pct, err := strconv.ParseFloat(num, 64)
	if err != nil || pct <= 0 || pct > 100 {
		return fmt.Errorf("%q is not a percentile between 0 and 100", th.metric)
	}
	th.kind, th.pct = kindPercentile, pct
	return nil
}

// parseLimit reads a latency as a Go duration ("2s", "500ms") or a bare
// number of milliseconds (k6's unit); an error rate as a fraction or a
// percentage; counts and rates as numbers.
func parseLimit(k metricKind, v string) (float64, error) {
	switch {
	case k.latency():
		if d, err := time.ParseDuration(v); err == nil {
			return float64(d), nil
		}
		ms, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration like 2s or 500ms", v)
		}
		return ms * float64(time.Millisecond), nil
	case k == kindErrorRate:
		if p, ok := strings.CutSuffix(v, "%"); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil {
				return 0, fmt.Errorf("%q is not a percentage", v)
			}
			return f / 100, nil
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a rate like 0.01 or 1%%", v)
		}
		return f, nil
	default:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a number", v)
		}
		return f, nil
	}
}

func (th threshold) holds(measured float64) bool {
	switch th.op {
	case "<":
		return measured < th.limit
	case "<=":
		return measured <= th.limit
	case ">":
		return measured > th.limit
	case ">=":
		return measured >= th.limit
	case "==":
		return measured == th.limit
	default: // "!="
		return measured != th.limit
	}
}

// thresholdResult is one threshold's outcome, for observations and the
// failure message.
type thresholdResult struct {
	th    threshold
	value any // time.Duration, float64 or int; nil when nothing was measured
	ok    bool
	shown string // the measured value in words
}

func (th threshold) evaluate(s *summary) thresholdResult {
	r := thresholdResult{th: th}
	var measured float64
	switch th.kind {
	case kindPercentile, kindAvg, kindMin, kindMax:
		if s.latencies == 0 {
			r.shown = "not measured (no request completed)"
			return r
		}
		var d time.Duration
		switch th.kind {
		case kindPercentile:
			d = s.percentile(th.pct)
		case kindAvg:
			d = s.mean
		case kindMin:
			d = s.min
		default:
			d = s.max
		}
		r.value, measured, r.shown = d, float64(d), fmtDuration(d)
	case kindErrorRate:
		if s.requests == 0 {
			r.shown = "not measured (no request sent)"
			return r
		}
		rate := s.errorRate()
		r.value, measured = rate, rate
		r.shown = fmt.Sprintf("%.4g (%d of %d requests failed)", rate, s.errors, s.requests)
	case kindRPS:
		r.value, measured = s.rps, s.rps
		r.shown = fmt.Sprintf("%.1f req/s", s.rps)
	case kindRequests:
		r.value, measured, r.shown = s.requests, float64(s.requests), strconv.FormatInt(s.requests, 10)
	case kindErrors:
		r.value, measured, r.shown = s.errors, float64(s.errors), strconv.FormatInt(s.errors, 10)
	}
	r.ok = th.holds(measured)
	return r
}

func (r thresholdResult) observation() map[string]any {
	return map[string]any{"threshold": r.th.text, "value": r.value, "ok": r.ok}
}

func (r thresholdResult) failure() string {
	return fmt.Sprintf("%s is %s, which breaks threshold %q", r.th.metric, r.shown, r.th.text)
}

// fmtDuration rounds a latency to what a person compares: milliseconds
// above a second, tens of microseconds above a millisecond.
func fmtDuration(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	default:
		return d.Round(time.Microsecond).String()
	}
}
