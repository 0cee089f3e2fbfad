// Package loadcheck is the `load` probe kind: it sends HTTP requests to one
// URL from many connections for a duration (or an exact number of requests)
// and decides the item on latency percentiles, error rate and throughput
// thresholds written in k6's grammar ("p(95) < 2s", "error_rate < 0.01").
//
// Two load models are supported. Closed (the default): `connections`
// workers, each sending its next request when the previous one answered,
// like wrk. Open (`rate:` set): requests are due at a fixed arrival rate and
// each latency is measured from the time the request was due, not from when
// a free connection got round to sending it, so a stalled server shows up
// in the percentiles instead of being hidden (coordinated omission); due
// requests that never found a free connection are counted as `dropped`
// errors.
//
// Each worker holds one HTTP/1.1 keep-alive connection (HTTP/2 is not
// negotiated, redirects are not followed, no proxy is used: the target is
// measured, as with wrk). Latencies go into one HdrHistogram per worker,
// merged at the end, so memory does not grow with the length of the run.
//
// Without a threshold on error_rate or errors, the item fails when more
// than 1% of its requests fail (defaultErrorThreshold): a load test whose
// target refuses every request must never pass on its latencies.
//
// Observations: requests, errors, error_rate, rps (answered requests per
// second: responses of any status; refused, timed-out and dropped requests
// do not count), p50, p90, p95, p99, max,
// mean, min (durations), duration (measured time), responses,
// status_counts (map by status code), error_kinds (map: timeout, refused,
// reset, dns, tls, status, dropped, other), dropped (open model) and
// thresholds (a list of {threshold, value, ok}).
//
// The probe only sends the configured request; it never changes anything
// else on the target. It is bounded by the item's deadline and by
// `max_duration`, and stops at once when its context is cancelled,
// returning what it measured so far.
package loadcheck

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/checks/reqopt"
)

// Defaults of the kind, shown by `readyctl probes load`.
const (
	defaultMethod      = http.MethodGet
	defaultConnections = 10
	defaultTimeout     = 10 * time.Second
	defaultMaxDuration = 10 * time.Minute
	// maxConnections bounds memory: each connection keeps its own latency
	// histogram (up to about 170 KB) and 20 KB of buffers besides its
	// socket, so 5000 connections stay under 1 GB.
	maxConnections = 5000
)

// Probe is the `load:` block of a checklist item.
type Probe struct {
	// URL, headers and TLS, as in every HTTP-speaking kind. The request
	// is sent by the kind's own HTTP/1.1 client, built for speed.
	reqopt.Target `yaml:",inline" doc:"url, headers and tls"`
	reqopt.Auth   `yaml:",inline" doc:"basic_auth or bearer_token, sent with every request"`
	Method        string        `yaml:"method" doc:"HTTP method of every request"`
	Body          string        `yaml:"body" doc:"request body sent with every request"`
	Connections   int           `yaml:"connections" doc:"concurrent connections; closed model: each sends its next request when the last one answered; with rate: the most requests in flight at once"`
	Duration      time.Duration `yaml:"duration" doc:"how long to measure, after warmup (exactly one of duration and requests)"`
	Requests      int           `yaml:"requests" doc:"measure exactly this many requests instead of a duration"`
	Rate          float64       `yaml:"rate" doc:"open model: requests per second due on a fixed schedule, sent on up to connections at once; latency counts from the time a request was due, so a stall is not hidden, and due requests that found no free connection by the end are errors (\"dropped\"); 0 = closed model"`
	Warmup        time.Duration `yaml:"warmup" doc:"load sent before measuring starts; not recorded (it comes on top of duration or requests)"`
	Timeout       time.Duration `yaml:"timeout" doc:"per-request timeout, from connecting to the end of the body; a request that times out is an error and its wait is recorded as its latency"`
	OKStatus      StatusList    `yaml:"ok_status" doc:"statuses that count as success: codes, classes like \"2xx\" or ranges like \"200-399\" (default: any status below 500)"`
	Thresholds    []string      `yaml:"thresholds" doc:"pass/fail criteria in k6's grammar: \"p(95) < 2s\", \"p99 < 3s\", \"avg|med|min|max < 500ms\", \"error_rate < 0.01\" (or 1%), \"rps > 200\" (rps counts answered requests only); operators < <= > >= == !=; a bare latency number is milliseconds; without a threshold on error_rate or errors, error_rate <= 1% applies"`
	MaxDuration   time.Duration `yaml:"max_duration" doc:"safety guard: warmup plus duration (or requests at rate) longer than this is refused; a requests run is stopped at it"`

	url        *url.URL
	okStatus   statusMatcher
	thresholds []threshold
}

// New returns a load probe with its defaults.
func New() checks.Probe {
	return &Probe{
		Method:      defaultMethod,
		Connections: defaultConnections,
		Timeout:     defaultTimeout,
		MaxDuration: defaultMaxDuration,
	}
}

func init() {
	checks.Register(checks.Kind{
		Name:         "load",
		New:          New,
		Summary:      "HTTP load test from many connections, decided by latency percentile, error-rate and throughput thresholds",
		Example:      example,
		Observations: observations,
	})
}

const example = `- id: load-gate
  title: Load test - 100 concurrent connections for 30 seconds
  severity: critical
  tags: [performance]
  timeout: 60s
  load:
    url: https://api.example.com/health
    headers:
      Accept: application/json
    connections: 100
    warmup: 5s
    duration: 30s
    timeout: 5s
    thresholds:
      - p(95) < 2s
      - error_rate < 0.01
`

// Validate checks the configuration and parses thresholds and statuses,
// without any I/O.
func (p *Probe) Validate() error {
	if err := p.Target.Validate(); err != nil {
		return err
	}
	p.url = p.ParsedURL()
	if err := reqopt.ValidateMethod(&p.Method); err != nil {
		return err
	}
	if err := p.Auth.Validate(&p.Target); err != nil {
		return err
	}

	switch {
	case p.Connections < 1:
		return checks.FieldErrorf("connections", "must be at least 1, not %d", p.Connections)
	case p.Connections > maxConnections:
		return checks.FieldErrorf("connections", "%d is more than the %d one process can hold with its histograms", p.Connections, maxConnections)
	}
	switch {
	case p.Duration < 0:
		return checks.FieldErrorf("duration", "must not be negative")
	case p.Requests < 0:
		return checks.FieldErrorf("requests", "must not be negative")
	case p.Duration == 0 && p.Requests == 0:
		return checks.FieldErrorf("duration", "set duration (e.g. 30s) or requests (e.g. 10000)")
	case p.Duration > 0 && p.Requests > 0:
		return checks.FieldErrorf("requests", "set either duration or requests, not both")
	}
	if p.Rate < 0 {
		return checks.FieldErrorf("rate", "must not be negative")
	}
	if p.Warmup < 0 {
		return checks.FieldErrorf("warmup", "must not be negative")
	}
	if p.Timeout <= 0 {
		return checks.FieldErrorf("timeout", "must be positive")
	}
	if p.MaxDuration <= 0 {
		return checks.FieldErrorf("max_duration", "must be positive")
	}
	if p.Warmup >= p.MaxDuration {
		return checks.FieldErrorf("warmup", "warmup %s is not shorter than max_duration %s", p.Warmup, p.MaxDuration)
	}
	if planned, ok := p.plannedLength(); ok && planned > p.MaxDuration {
		field, what := "duration", fmt.Sprintf("warmup %s + duration %s", p.Warmup, p.Duration)
		if p.Requests > 0 {
			field, what = "requests", fmt.Sprintf("warmup %s + %d requests at %g/s", p.Warmup, p.Requests, p.Rate)
		}
		return checks.FieldErrorf(field, "%s run %s, longer than max_duration %s: raise max_duration to allow it", what, fmtDuration(planned), p.MaxDuration)
	}

	m, err := parseStatusList(p.OKStatus)
	if err != nil {
		return checks.FieldErrorf("ok_status", "%v", err)
	}
	p.okStatus = m

	p.thresholds = p.thresholds[:0]
	for i, s := range p.Thresholds {
		th, err := parseThreshold(s)
		if err != nil {
			return checks.FieldErrorf(fmt.Sprintf("thresholds[%d]", i), "%v", err)
		}
		p.thresholds = append(p.thresholds, th)
	}
	if !slices.ContainsFunc(p.thresholds, func(th threshold) bool { return th.kind == kindErrorRate || th.kind == kindErrors }) {
		th, err := parseThreshold(defaultErrorThreshold)
		if err != nil {
			panic(err) // a constant
		}
		th.text += " (default)"
		p.thresholds = append(p.thresholds, th)
	}
	return nil
}

// defaultErrorThreshold applies when no threshold is about errors.
const defaultErrorThreshold = "error_rate <= 0.01"

// plannedLength is how long the run lasts on its schedule, when that is
// known before it starts: duration runs, and requests runs at a rate.
func (p *Probe) plannedLength() (time.Duration, bool) {
	switch {
	case p.Duration > 0:
		return p.Warmup + p.Duration, true
	case p.Rate > 0:
		return p.Warmup + time.Duration(float64(p.Requests)/p.Rate*float64(time.Second)), true
	}
	return 0, false
}

var _ checks.Probe = (*Probe)(nil)
