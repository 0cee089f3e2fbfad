// Package promcheck is the `prometheus` probe kind: it asks a Prometheus
// server (or anything speaking its HTTP API: Thanos, Mimir, VictoriaMetrics)
// a PromQL query, and whether its scrape targets are up, its rules evaluate,
// no unexpected alert fires and the server is ready.
//
// It only reads: it calls GET/POST query endpoints and never the admin or
// lifecycle APIs.
package promcheck

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/checks/reqopt"
)

func init() {
	checks.Register(checks.Kind{
		Name:         "prometheus",
		New:          func() checks.Probe { return New() },
		Summary:      "PromQL query, scrape targets, rule health, firing alerts and readiness of a Prometheus server",
		Example:      example,
		Context:      []string{"query"},
		Observations: observations,
	})
}

const example = `- id: api-error-rate
  title: API error rate below 1% over the last 5 minutes
  severity: critical
  tags: [post-deploy, monitoring]
  prometheus:
    url: http://prometheus.monitoring.svc:9090
    query: sum(rate(http_requests_total{job="api",code=~"5.."}[5m])) / sum(rate(http_requests_total{job="api"}[5m]))
    timeout: 5s
    targets:
      jobs: [api]
    expect:
      - value < 0.01
`

// Probe is the `prometheus:` block of a checklist item.
type Probe struct {
	// URL (the base URL, without /api/v1), headers (e.g. X-Scope-OrgID
	// for a multi-tenant Mimir or Cortex), TLS and credentials, as in
	// every HTTP-speaking kind.
	reqopt.Target   `yaml:",inline" doc:"url, headers and tls, shared with every HTTP-speaking kind"`
	reqopt.Auth     `yaml:",inline" doc:"basic_auth or bearer_token"`
	BearerTokenFile string        `yaml:"bearer_token_file" doc:"file holding the bearer token, read on every run (e.g. a Kubernetes service account token)"`
	Timeout         time.Duration `yaml:"timeout" doc:"limit for each HTTP request, also sent to Prometheus as the query timeout; the item's timeout bounds the whole probe"`

	Query          string      `yaml:"query" doc:"PromQL expression, sent as written (after interpolation); observations query, result, value, series"`
	Range          *RangeQuery `yaml:"range" doc:"make query a range query over the last window; result then holds every sample of every series"`
	AllowEmpty     bool        `yaml:"allow_empty" doc:"an empty query result passes to expect: instead of being an error with reason no_data"`
	AllowNonFinite bool        `yaml:"allow_non_finite" doc:"let NaN and +/-Inf results through to expect: instead of failing; in expect: NaN < x and NaN > x are false but NaN != x is true, and -Inf < x is true"`
	Targets        *Targets    `yaml:"targets" doc:"scrape targets must be up; observation targets"`
	Rules          *Rules      `yaml:"rules" doc:"rule groups must evaluate without error and required rules be loaded; observation rules"`
	Alerts         *Alerts     `yaml:"alerts" doc:"no unexpected alert may be firing; observation alerts"`
	Ready          bool        `yaml:"ready" doc:"GET /-/ready must answer 200; observation ready"`
	MaxBytes       int64       `yaml:"max_bytes" doc:"most bytes read from each answer, default 8 MiB; a larger answer (or a result of more than 10000 series) is an error with reason too_large"`
}

// RangeQuery turns the query into a range query ending now.
type RangeQuery struct {
	Window time.Duration `yaml:"window" doc:"how far back the range starts, e.g. 10m"`
	Step   time.Duration `yaml:"step" doc:"resolution between samples (default window/30, at least 1s)"`
}

// Targets checks /api/v1/targets.
type Targets struct {
	Jobs       []string `yaml:"jobs" doc:"jobs to check (default all); a named job without any target fails"`
	MinUpRatio *float64 `yaml:"min_up_ratio" doc:"least fraction of each job's targets that must be up, 0..1 (default 1.0: all)"`
}

// Rules checks /api/v1/rules.
type Rules struct {
	Groups  []string `yaml:"groups" doc:"rule groups to check (default all)"`
	Healthy *bool    `yaml:"healthy" doc:"every rule's last evaluation succeeded (default true)"`
	Require []string `yaml:"require" doc:"alerting or recording rule names that must be loaded, e.g. the alerts a runbook relies on"`
}

// Alerts checks /api/v1/alerts.
type Alerts struct {
	Firing string   `yaml:"firing" doc:"none (default): any firing alert not in ignore fails; any: only observe them for expect:"`
	Ignore []string `yaml:"ignore" doc:"alert names that may fire, e.g. Watchdog"`
}

// DefaultMaxBytes caps each answer read from the server: an endless result
// reached 4.2 GB within a 6 s timeout without it.
const DefaultMaxBytes = 8 << 20

// New returns a probe with its defaults.
func New() *Probe {
	return &Probe{Timeout: 10 * time.Second, MaxBytes: DefaultMaxBytes}
}

func (p *Probe) maxBytes() int64 {
	if p.MaxBytes > 0 {
		return p.MaxBytes
	}
	return DefaultMaxBytes
}

// maxRangePoints is Prometheus's own limit on points per series.
const maxRangePoints = 11000

// Validate checks the configuration without I/O.
func (p *Probe) Validate() error {
	if err := p.Target.Validate(); err != nil {
		return err
	}
	u := p.ParsedURL()
	if u.RawQuery != "" || u.Fragment != "" {
		return checks.FieldErrorf("url", "give the base URL without ?query or #fragment")
	}
	if err := p.Auth.Validate(&p.Target); err != nil {
		return err
	}
	if p.BearerTokenFile != "" && (p.BearerToken != "" || p.BasicAuth != nil || u.User != nil) {
		return checks.FieldErrorf("bearer_token_file", "use only one of bearer_token, bearer_token_file, basic_auth and user:password in url")
	}
	for name := range p.Headers {
		if strings.EqualFold(name, "Authorization") {
			return checks.FieldErrorf("headers", "set Authorization with bearer_token or basic_auth, so it is redacted")
		}
	}
	if p.Timeout < 0 {
		return checks.FieldErrorf("timeout", "must not be negative")
	}
	if p.MaxBytes <= 0 {
		return checks.FieldErrorf("max_bytes", "must be positive")
	}

	if p.Query == "" && p.Targets == nil && p.Rules == nil && p.Alerts == nil && !p.Ready {
		return checks.FieldErrorf("query", "give at least one of query, targets, rules, alerts or ready")
	}
	if p.Query == "" {
		switch {
		case p.Range != nil:
			return checks.FieldErrorf("range", "range needs a query")
		case p.AllowEmpty:
			return checks.FieldErrorf("allow_empty", "allow_empty applies to query, which is not set")
		case p.AllowNonFinite:
			return checks.FieldErrorf("allow_non_finite", "allow_non_finite applies to query, which is not set")
		}
	}
	if r := p.Range; r != nil {
		if r.Window <= 0 {
			return checks.FieldErrorf("range.window", "window must be positive, e.g. 10m")
		}
		if r.Step < 0 {
			return checks.FieldErrorf("range.step", "step must not be negative")
		}
		if step := r.step(); r.Window/step > maxRangePoints {
			return checks.FieldErrorf("range.step", "window %s / step %s exceeds Prometheus's %d points per series", r.Window, step, maxRangePoints)
		}
	}
	if t := p.Targets; t != nil && t.MinUpRatio != nil && (*t.MinUpRatio < 0 || *t.MinUpRatio > 1) {
		return checks.FieldErrorf("targets.min_up_ratio", "must be between 0 and 1, got %g", *t.MinUpRatio)
	}
	if a := p.Alerts; a != nil && a.Firing != "" && a.Firing != "none" && a.Firing != "any" {
		return checks.FieldErrorf("alerts.firing", "must be none or any, got %q", a.Firing)
	}
	return nil
}

func (r *RangeQuery) step() time.Duration {
	if r.Step > 0 {
		return r.Step
	}
	return max(r.Window/30, time.Second)
}

// Run performs the configured checks in a fixed order (ready, targets,
// rules, alerts, query). A check that cannot be done ends the run with an
// error; failed checks are collected into one failure.
func (p *Probe) Run(ctx context.Context) (checks.Observations, error) {
	obs := checks.Observations{}
	c, hc, base, err := p.client()
	if err != nil {
		return obs, err
	}
	defer hc.CloseIdleConnections()
	obs["url"] = base

	var fails []string
	if p.Ready {
		f, err := p.checkReady(ctx, c, obs)
		if err != nil {
			return obs, err
		}
		if f != "" {
			// Nothing else a not-ready server says can be trusted.
			return obs, checks.Fail("not_ready", "%s", f)
		}
	}
	steps := []func(context.Context, promAPI, checks.Observations) ([]string, error){}
	if p.Targets != nil {
		steps = append(steps, p.checkTargets)
	}
	if p.Rules != nil {
		steps = append(steps, p.checkRules)
	}
	if p.Alerts != nil {
		steps = append(steps, p.checkAlerts)
	}
	if p.Query != "" {
		steps = append(steps, p.checkQuery)
	}
	for _, step := range steps {
		f, err := step(ctx, c, obs)
		if err != nil {
			return obs, err
		}
		fails = append(fails, f...)
	}
	if len(fails) > 0 {
		return obs, checks.Fail("", "%s", strings.Join(fails, "; "))
	}
	return obs, nil
}

// request bounds one HTTP request by the probe's timeout inside ctx.
func (p *Probe) request(ctx context.Context) (context.Context, context.CancelFunc) {
	if p.Timeout > 0 {
		return context.WithTimeout(ctx, p.Timeout)
	}
	return context.WithCancel(ctx)
}

// requestError says what was asked, and which limit cut it short when the
// probe's own timeout fired rather than the item's deadline (ctx).
func (p *Probe) requestError(ctx context.Context, what string, err error) error {
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		return fmt.Errorf("%s: no answer within timeout %s: %w", what, p.Timeout, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// client builds the API client. base is the redacted URL for messages.
// Credentials and headers are added by the transport, only to requests
// for the configured origin: client_golang builds its own requests and
// its client follows redirects.
func (p *Probe) client() (promAPI, *http.Client, string, error) {
	u := p.ParsedURL()
	auth := p.Auth
	switch {
	case p.BearerTokenFile != "":
		b, err := checks.ReadFile(p.BearerTokenFile, checks.MaxCredentialFile)
		if err != nil {
			return nil, nil, "", fmt.Errorf("bearer_token_file: %w", err)
		}
		auth.BearerToken = strings.TrimSpace(string(b))
	case u.User != nil:
		pw, _ := u.User.Password()
		auth.BasicAuth = &reqopt.BasicAuth{Username: u.User.Username(), Password: pw}
	}
	base := u.Redacted()
	u.User = nil // credentials go in a header, never in a URL an error may print

	tr, err := p.Transport()
	if err != nil {
		return nil, nil, "", err
	}
	follow := reqopt.Redirects{FollowRedirects: true, MaxRedirects: 10}
	hc := &http.Client{
		Transport: reqopt.SignedTransport(tr, u, func(req *http.Request) {
			p.ApplyHeaders(req)
			auth.Apply(req)
		}),
		CheckRedirect: follow.CheckRedirect(&p.Target),
	}
	c, err := newClient(u.String(), hc, p.maxBytes())
	if err != nil {
		return nil, nil, "", fmt.Errorf("url: %w", reqopt.RedactError(err))
	}
	return c, hc, base, nil
}

var _ checks.Probe = (*Probe)(nil)
