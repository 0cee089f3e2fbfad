package report

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// plain turns an observation into a value encoding/json renders well:
// durations become strings such as "12.5ms", times RFC 3339, NaN and
// infinities the strings "NaN", "+Inf", "-Inf".
func plain(v any) any {
	switch x := v.(type) {
	case time.Duration:
		return x.String()
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case float64:
		switch {
		case math.IsNaN(x):
			return "NaN"
		case math.IsInf(x, 1):
			return "+Inf"
		case math.IsInf(x, -1):
			return "-Inf"
		}
		return x
	case float32:
		return plain(float64(x))
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plain(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = plain(e)
		}
		return out
	}
	return v
}

// PlainObservations returns the observations in JSON-friendly form.
func PlainObservations(obs map[string]any) map[string]any {
	if obs == nil {
		return map[string]any{}
	}
	return plain(obs).(map[string]any)
}

// keyObservations picks the observations worth showing next to a problem:
// first the ones the kind marks as key (in its order), then other short
// scalar values sorted by name, at most max (0 = all).
func keyObservations(obs map[string]any, max int, key ...string) []string {
	var out []string
	shown := map[string]bool{}
	for _, k := range key {
		v, ok := lookupPath(obs, k)
		if !ok {
			continue
		}
		s, ok := scalar(v)
		if !ok {
			continue
		}
		shown[k] = true
		out = append(out, k+"="+s)
		if max > 0 && len(out) == max {
			return out
		}
	}
	names := make([]string, 0, len(obs))
	for k := range obs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if shown[k] {
			continue
		}
		s, ok := scalar(obs[k])
		if !ok {
			continue
		}
		out = append(out, k+"="+s)
		if max > 0 && len(out) == max {
			break
		}
	}
	return out
}

// lookupPath reads a dotted path ("migrations.version") in nested maps.
func lookupPath(obs map[string]any, path string) (any, bool) {
	var cur any = obs
	for _, part := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func scalar(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "nil", true
	case string:
		if len(x) > 60 || strings.ContainsAny(x, "\n") {
			return "", false
		}
		return fmt.Sprintf("%q", x), true
	case time.Duration:
		return x.Round(time.Microsecond).String(), true
	case time.Time:
		return x.UTC().Format(time.RFC3339), true
	case float64:
		return fmt.Sprintf("%.4g", x), true
	case bool, int, int64, int32, uint64, uint32:
		return fmt.Sprint(x), true
	}
	return "", false
}
