package loadcheck

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/readyctl/readyctl/checks"
)

// Latencies are recorded in microseconds with 3 significant digits (0.1 %
// resolution), from 1µs up to the longest latency the run can produce.
const (
	histUnit    = time.Microsecond
	histSigFigs = 3
)

func newHistogram(highest time.Duration) *hdrhistogram.Histogram {
	return hdrhistogram.New(1, int64(highest/histUnit)+1, histSigFigs)
}

// counters are a worker's running totals, read by the progress reporter
// while the worker writes them. Padded so two workers never share a cache
// line.
type counters struct {
	warm atomic.Int64 // warmup requests finished (not measured)
	reqs atomic.Int64 // measured requests finished, with or without a response
	errs atomic.Int64 // measured requests that failed
	_    [128 - 24]byte
}

// workerStats is what one worker measured. Only its worker writes it
// while the run lasts; it is merged when every worker has stopped.
type workerStats struct {
	c         counters
	responses int64 // measured requests that got a response
	hist      *hdrhistogram.Histogram
	highest   int64            // in histUnit
	status    [600]int64       // by status code below 600
	oddStatus map[int]int64    // codes from 600 to 999
	kinds     map[string]int64 // error kinds
}

func (s *workerStats) countStatus(code int) {
	if code >= 0 && code < len(s.status) {
		s.status[code]++
		return
	}
	if s.oddStatus == nil {
		s.oddStatus = map[int]int64{}
	}
	s.oddStatus[code]++
}

func newWorkerStats(highest time.Duration) *workerStats {
	h := newHistogram(highest)
	return &workerStats{
		hist:    h,
		highest: h.HighestTrackableValue(),
		kinds:   make(map[string]int64),
	}
}

func (s *workerStats) recordLatency(d time.Duration) {
	v := int64(d / histUnit)
	if v > s.highest {
		v = s.highest
	} else if v < 0 {
		v = 0
	}
	_ = s.hist.RecordValue(v) // in range by construction
}

// errorKind names a transport error for `error_kinds`.
func errorKind(err error) string {
	switch r := checks.Classify(err); r {
	case checks.ReasonTimeout:
		return "timeout"
	case checks.ReasonConnectionRefused:
		return "refused"
	case checks.ReasonConnectionReset:
		return "reset"
	case checks.ReasonDNS, checks.ReasonTLS, checks.ReasonCanceled, "unreachable":
		return r
	default:
		return "other"
	}
}

// summary is the merged result of a run.
type summary struct {
	requests  int64 // measured requests, answered or failed
	errors    int64
	responses int64 // requests that got a response, any status
	latencies int64 // latencies recorded: responses and timeouts
	hist      *hdrhistogram.Histogram
	mean      time.Duration
	min, max  time.Duration
	elapsed   time.Duration
	rps       float64 // answered requests (any status) per second
	status    map[int]int64
	kinds     map[string]int64
	open      bool
	dropped   int64 // open model: due requests never sent
}

func merge(ws []*workerStats, highest time.Duration, elapsed time.Duration) *summary {
	s := &summary{
		hist:    newHistogram(highest),
		elapsed: elapsed,
		status:  map[int]int64{},
		kinds:   map[string]int64{},
	}
	for _, w := range ws {
		s.requests += w.c.reqs.Load()
		s.errors += w.c.errs.Load()
		s.responses += w.responses
		s.hist.Merge(w.hist)
		for code, n := range w.status {
			if n > 0 {
				s.status[code] += n
			}
		}
		for code, n := range w.oddStatus {
			s.status[code] += n
		}
		for k, v := range w.kinds {
			s.kinds[k] += v
		}
	}
	s.latencies = s.hist.TotalCount()
	if s.latencies > 0 {
		s.mean = time.Duration(s.hist.Mean() * float64(histUnit))
		s.min = time.Duration(s.hist.Min()) * histUnit
		s.max = time.Duration(s.hist.Max()) * histUnit
	}
	// Answered requests only: refused connections and timeouts come back
	// fast and must not look like throughput.
	if elapsed > 0 {
		s.rps = float64(s.responses) / elapsed.Seconds()
	}
	return s
}

// addDropped counts due requests of the open model that never got a
// connection before the schedule ended: they are errors of kind "dropped",
// so a stalled server cannot make its own load disappear.
func (s *summary) addDropped(n int64) {
	s.open = true
	if n <= 0 {
		return
	}
	s.dropped = n
	s.requests += n
	s.errors += n
	s.kinds["dropped"] += n
}

func (s *summary) percentile(p float64) time.Duration {
	return time.Duration(s.hist.ValueAtQuantile(p)) * histUnit
}

func (s *summary) errorRate() float64 {
	if s.requests == 0 {
		return 0
	}
	return float64(s.errors) / float64(s.requests)
}

func (s *summary) observations() checks.Observations {
	obs := checks.Observations{
		"requests":      int(s.requests),
		"errors":        int(s.errors),
		"error_rate":    nil,
		"rps":           s.rps,
		"p50":           nil,
		"p90":           nil,
		"p95":           nil,
		"p99":           nil,
		"max":           nil,
		"mean":          nil,
		"min":           nil,
		"duration":      s.elapsed,
		"responses":     int(s.responses),
		"status_counts": map[string]any{},
		"error_kinds":   map[string]any{},
		"dropped":       nil,
	}
	if s.requests > 0 {
		obs["error_rate"] = s.errorRate()
	}
	if s.latencies > 0 {
		obs["p50"] = s.percentile(50)
		obs["p90"] = s.percentile(90)
		obs["p95"] = s.percentile(95)
		obs["p99"] = s.percentile(99)
		obs["max"] = s.max
		obs["mean"] = s.mean
		obs["min"] = s.min
	}
	sc := obs["status_counts"].(map[string]any)
	for code, n := range s.status {
		sc[strconv.Itoa(code)] = int(n)
	}
	ek := obs["error_kinds"].(map[string]any)
	for k, n := range s.kinds {
		ek[k] = int(n)
	}
	if s.open {
		obs["dropped"] = int(s.dropped)
	}
	return obs
}

// describeErrors lists error kinds, most frequent first: "refused 120,
// timeout 3".
func (s *summary) describeErrors() string {
	type kv struct {
		k string
		n int64
	}
	var all []kv
	for k, n := range s.kinds {
		all = append(all, kv{k, n})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].n != all[j].n {
			return all[i].n > all[j].n
		}
		return all[i].k < all[j].k
	})
	parts := make([]string, len(all))
	for i, e := range all {
		parts[i] = fmt.Sprintf("%s %s", e.k, group(e.n))
	}
	return strings.Join(parts, ", ")
}

// group formats n with thousands separators: 48210 -> "48,210".
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	pre := len(s) % 3
	if pre == 0 {
		pre = 3
	}
	b.WriteString(s[:pre])
	for i := pre; i < len(s); i += 3 {
		b.WriteByte(',')
		b.WriteString(s[i : i+3])
	}
	return b.String()
}
