package promcheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/readyctl/readyctl/checks"
)

// promAPI is the part of the Prometheus HTTP API the probe uses. It is
// ours, not client_golang's v1.API, whose method signatures change between
// minor versions (Query gained a return value in v1.20); this file is the
// only one that touches the library, so an upgrade is a change here only.
type promAPI interface {
	// Query runs an instant query at the given time.
	Query(ctx context.Context, query string, at time.Time, timeout time.Duration) ([]sample, []string, error)
	// QueryRange runs a range query and returns every sample of every
	// series, series by series, in time order.
	QueryRange(ctx context.Context, query string, start, end time.Time, step, timeout time.Duration) ([]sample, []string, error)
	Targets(ctx context.Context) ([]target, error)
	Rules(ctx context.Context) ([]rule, error)
	Alerts(ctx context.Context) ([]alert, error)
	// Ready returns the HTTP status and body of GET /-/ready; err is only
	// for requests that got no answer at all.
	Ready(ctx context.Context) (status int, body string, err error)
}

type sample struct {
	Labels map[string]string
	Value  float64
	Time   time.Time
}

type target struct {
	Job, Instance, ScrapeURL, Health, LastError string
}

type rule struct {
	Group, Name, Type, Health, LastError string
}

type alert struct {
	Name, State, Value string
	Labels             map[string]string
	ActiveAt           time.Time
}

// statusError is an HTTP answer that is not a Prometheus API answer at
// all: a proxy's 503, a 401 from an auth gateway, a 404 for a wrong path.
type statusError struct {
	Code int
	URL  string
	Body string
}

func (e *statusError) Error() string {
	msg := fmt.Sprintf("%s answered HTTP %d %s", e.URL, e.Code, http.StatusText(e.Code))
	if b := oneLine(e.Body, 200); b != "" {
		msg += ": " + b
	}
	if e.Code == http.StatusNotFound {
		msg += " (is url the Prometheus base URL, without /api/v1?)"
	}
	return msg
}

// reason maps the status to a report reason code.
func (e *statusError) reason() string {
	switch {
	case e.Code == http.StatusUnauthorized || e.Code == http.StatusForbidden:
		return checks.ReasonAuth
	case e.Code == http.StatusServiceUnavailable:
		return "unavailable"
	case e.Code == http.StatusNotFound:
		return "not_found"
	case e.Code == http.StatusTooManyRequests:
		return "rate_limited"
	case e.Code >= 500:
		return "server_error"
	}
	return "http_status"
}

// statusClient turns every non-2xx answer that is not a Prometheus API
// error (those come as 400/422 with a JSON body) into a *statusError, so
// that its status code survives client_golang's error types.
type statusClient struct{ api.Client }

func (c statusClient) Do(ctx context.Context, req *http.Request) (*http.Response, []byte, error) {
	resp, body, err := c.Client.Do(ctx, req)
	if err != nil || resp == nil {
		return resp, body, err
	}
	code := resp.StatusCode
	if code/100 == 2 || code == http.StatusBadRequest || code == http.StatusUnprocessableEntity {
		return resp, body, nil
	}
	u := *req.URL
	u.RawQuery, u.User = "", nil
	return resp, body, &statusError{Code: code, URL: u.String(), Body: string(body)}
}

type client struct {
	raw api.Client
	v1  v1.API
	cap *readCap
}

// newClient builds the API client on hc. Every response body is read
// through a cap of maxBytes: client_golang reads a body whole before
// decoding it, and an endless result would take all memory within the
// item's timeout.
func newClient(address string, hc *http.Client, maxBytes int64) (*client, error) {
	rc := &readCap{limit: maxBytes}
	capped := *hc
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	capped.Transport = &capTransport{next: next, cap: rc}
	raw, err := api.NewClient(api.Config{Address: address, Client: &capped})
	if err != nil {
		return nil, err
	}
	return &client{raw: raw, v1: v1.NewAPI(statusClient{raw}), cap: rc}, nil
}

// maxSeries caps the series of one query result: each becomes a map in
// the observations and the report.
const maxSeries = 10000

// readCap is the body limit of one client and whether a body hit it.
type readCap struct {
	limit   int64
	tripped atomic.Bool
}

type errBodyTooLarge struct{ limit int64 }

func (e *errBodyTooLarge) Error() string {
	return fmt.Sprintf("the answer is larger than max_bytes %d", e.limit)
}

// check turns any error of a request whose body hit the cap into a
// too_large error, whatever client_golang made of the cut body.
func (rc *readCap) check(err error) error {
	if err == nil || !rc.tripped.Load() {
		return err
	}
	return checks.WithReason(checks.ReasonTooLarge, fmt.Errorf("the answer is larger than max_bytes %d (%s): narrow the query or raise max_bytes", rc.limit, fmtBytes(rc.limit)))
}

func fmtBytes(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
}

type capTransport struct {
	next http.RoundTripper
	cap  *readCap
}

func (t *capTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &capBody{ReadCloser: resp.Body, left: t.cap.limit, cap: t.cap}
	return resp, nil
}

func (t *capTransport) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

type capBody struct {
	io.ReadCloser
	left int64
	cap  *readCap
}

func (b *capBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, &errBodyTooLarge{b.cap.limit}
	}
	// One byte past the limit tells a body of exactly limit bytes from a
	// longer one.
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		b.cap.tripped.Store(true)
		return n, &errBodyTooLarge{b.cap.limit}
	}
	return n, err
}

func (c *client) Query(ctx context.Context, query string, at time.Time, timeout time.Duration) ([]sample, []string, error) {
	var opts []v1.Option
	if timeout > 0 {
		opts = append(opts, v1.WithTimeout(timeout))
	}
	val, warnings, _, err := c.v1.Query(ctx, query, at, opts...)
	if err := c.cap.check(err); err != nil {
		return nil, warnings, apiError(err)
	}
	s, err := samples(val)
	return s, warnings, err
}

func (c *client) QueryRange(ctx context.Context, query string, start, end time.Time, step, timeout time.Duration) ([]sample, []string, error) {
	var opts []v1.Option
	if timeout > 0 {
		opts = append(opts, v1.WithTimeout(timeout))
	}
	val, warnings, _, err := c.v1.QueryRange(ctx, query, v1.Range{Start: start, End: end, Step: step}, opts...)
	if err := c.cap.check(err); err != nil {
		return nil, warnings, apiError(err)
	}
	s, err := samples(val)
	return s, warnings, err
}

func (c *client) Targets(ctx context.Context) ([]target, error) {
	res, err := c.v1.Targets(ctx)
	if err := c.cap.check(err); err != nil {
		return nil, apiError(err)
	}
	out := make([]target, 0, len(res.Active))
	for _, t := range res.Active {
		job := string(t.Labels["job"])
		if job == "" {
			job = t.ScrapePool
		}
		out = append(out, target{
			Job:       job,
			Instance:  string(t.Labels["instance"]),
			ScrapeURL: t.ScrapeURL,
			Health:    string(t.Health),
			LastError: t.LastError,
		})
	}
	return out, nil
}

func (c *client) Rules(ctx context.Context) ([]rule, error) {
	res, err := c.v1.Rules(ctx, nil)
	if err := c.cap.check(err); err != nil {
		return nil, apiError(err)
	}
	var out []rule
	for _, g := range res.Groups {
		for _, r := range g.Rules {
			switch r := r.(type) {
			case v1.AlertingRule:
				out = append(out, rule{Group: g.Name, Name: r.Name, Type: "alerting", Health: string(r.Health), LastError: r.LastError})
			case v1.RecordingRule:
				out = append(out, rule{Group: g.Name, Name: r.Name, Type: "recording", Health: string(r.Health), LastError: r.LastError})
			}
		}
	}
	return out, nil
}

func (c *client) Alerts(ctx context.Context) ([]alert, error) {
	res, err := c.v1.Alerts(ctx)
	if err := c.cap.check(err); err != nil {
		return nil, apiError(err)
	}
	out := make([]alert, 0, len(res.Alerts))
	for _, a := range res.Alerts {
		out = append(out, alert{
			Name:     string(a.Labels[model.AlertNameLabel]),
			State:    string(a.State),
			Value:    a.Value,
			Labels:   labelMap(model.Metric(a.Labels)),
			ActiveAt: a.ActiveAt,
		})
	}
	return out, nil
}

func (c *client) Ready(ctx context.Context) (int, string, error) {
	u := c.raw.URL("/-/ready", nil)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, "", err
	}
	resp, body, err := c.raw.Do(ctx, req)
	if err := c.cap.check(err); err != nil {
		return 0, "", err
	}
	return resp.StatusCode, string(body), nil
}

// samples flattens any query result into samples: a vector gives one per
// series, a matrix every point of every series, a scalar one without
// labels.
func samples(v model.Value) ([]sample, error) {
	switch v := v.(type) {
	case model.Vector:
		if len(v) > maxSeries {
			return nil, tooManySeries(len(v))
		}
		out := make([]sample, 0, len(v))
		for _, s := range v {
			out = append(out, sample{Labels: labelMap(s.Metric), Value: float64(s.Value), Time: s.Timestamp.Time()})
		}
		return out, nil
	case model.Matrix:
		if len(v) > maxSeries {
			return nil, tooManySeries(len(v))
		}
		var out []sample
		for _, ss := range v {
			labels := labelMap(ss.Metric)
			for _, p := range ss.Values {
				out = append(out, sample{Labels: labels, Value: float64(p.Value), Time: p.Timestamp.Time()})
			}
		}
		return out, nil
	case *model.Scalar:
		return []sample{{Labels: map[string]string{}, Value: float64(v.Value), Time: v.Timestamp.Time()}}, nil
	case nil:
		return nil, nil
	default:
		return nil, checks.WithReason("bad_query", fmt.Errorf("the query returns a %s, not numbers", v.Type()))
	}
}

func tooManySeries(n int) error {
	return checks.WithReason(checks.ReasonTooLarge, fmt.Errorf("the query returned %d series, more than the %d a probe keeps: aggregate it (sum by, topk)", n, maxSeries))
}

func labelMap(m model.Metric) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[string(k)] = string(v)
	}
	return out
}

// apiError gives client_golang's API errors a reason code; transport
// errors pass through for checks.Classify (refused, timeout, tls, dns).
func apiError(err error) error {
	var se *statusError
	if errors.As(err, &se) {
		return checks.WithReason(se.reason(), se)
	}
	var ae *v1.Error
	if !errors.As(err, &ae) {
		return err
	}
	msg := ae.Msg
	if d := oneLine(ae.Detail, 200); d != "" {
		msg += ": " + d
	}
	switch ae.Type {
	case v1.ErrBadData:
		return checks.WithReason("bad_query", fmt.Errorf("prometheus rejected the request: %s", msg))
	case v1.ErrTimeout:
		return checks.WithReason(checks.ReasonTimeout, fmt.Errorf("prometheus timed out evaluating the query: %s", msg))
	case v1.ErrCanceled:
		return checks.WithReason(checks.ReasonCanceled, fmt.Errorf("prometheus canceled the query: %s", msg))
	case v1.ErrExec:
		return checks.WithReason("query_error", fmt.Errorf("prometheus failed to evaluate the query: %s", msg))
	case v1.ErrClient:
		return checks.WithReason("http_status", fmt.Errorf("prometheus: %s", msg))
	case v1.ErrBadResponse:
		return checks.WithReason("bad_response", fmt.Errorf("could not read the answer as a Prometheus API response: %s", msg))
	}
	return checks.WithReason("server_error", fmt.Errorf("prometheus: %s", msg))
}

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = s[:max] + "..."
	}
	return s
}
