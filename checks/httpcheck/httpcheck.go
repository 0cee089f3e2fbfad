// Package httpcheck is the `http` probe kind: one HTTP request, with the
// response's status, latency, headers, body and parsed JSON as
// observations, plus opt-in web-security blocks (security_headers,
// https_redirect, cors, request_id, rate_limit, auth_required, injection).
//
// Without a block it sends only the request the checklist describes. Each
// block sends a small, fixed number of extra requests (documented on its
// field) and never one that could change the target: blocks that repeat
// the request refuse, at Validate, any method but GET, HEAD and OPTIONS.
package httpcheck

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"time"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/checks/reqopt"
)

//go:embed example.yaml
var example string

func init() {
	checks.Register(checks.Kind{
		Name:         "http",
		New:          func() checks.Probe { return New() },
		Summary:      "HTTP(S) request: status, latency, headers, body and JSON",
		Example:      example,
		Observations: observations,
	})
}

// Probe is the `http:` block of an item.
type Probe struct {
	// URL, method, headers, credentials, TLS, redirects and body cap are
	// the options every HTTP-speaking kind shares.
	reqopt.Options `yaml:",inline" doc:"url, method, headers, credentials, tls, redirects and body cap"`

	Body       string        `yaml:"body" doc:"request body"`
	JSON       any           `yaml:"json" doc:"request body as JSON (sets Content-Type); excludes body"`
	Status     StatusSpec    `yaml:"status" doc:"allowed status: a code, a class such as \"2xx\", or a list"`
	MaxLatency time.Duration `yaml:"max_latency" doc:"fail when the response takes longer (0 = no limit)"`
	// FreshConnection opts out of sharing (reqopt.Options.ClientFor).
	FreshConnection bool `yaml:"fresh_connection" doc:"dial a connection of its own even when an earlier item of the round left one open to the same server with the same TLS options, credentials and headers (a GET, HEAD or OPTIONS item's first attempt shares one by default); latency then always includes connecting and the TLS handshake"`

	// Web-security blocks: all opt-in, combinable, checked after the main
	// request; each lives in its own file.
	SecurityHeaders string     `yaml:"security_headers" doc:"check the main response's security headers: baseline or strict (HSTS, nosniff, framing, CSP, Referrer-Policy, no version in Server/X-Powered-By, cookie flags); no extra request; e.g. security_headers: strict"`
	HTTPSRedirect   bool       `yaml:"https_redirect" doc:"the plain-http URL (url with http://, or http_url) must answer 301/308 to https on the same host; 1 extra GET, never with credentials, redirect not followed; e.g. https_redirect: true"`
	HTTPURL         string     `yaml:"http_url" doc:"plain-http URL for https_redirect (default: url with http://; required when url has a port other than 443)"`
	AllowTemporary  bool       `yaml:"allow_temporary" doc:"https_redirect also accepts 302/307"`
	CORS            *CORS      `yaml:"cors" doc:"CORS preflight checks; 2 extra OPTIONS requests (from origin, and from a random origin that must not be reflected with credentials); e.g. cors: {origin: https://app.example.com, allowed: true, credentials: true}"`
	RequestID       *RequestID `yaml:"request_id" doc:"request-id propagation: send a fresh id and expect it echoed (1 extra request; GET, HEAD or OPTIONS only), or with generated: true expect the main response to carry one; e.g. request_id: {header: X-Request-ID}"`
	RateLimit       *RateLimit `yaml:"rate_limit" doc:"a bounded burst of the same request must hit the limit: at most requests extra requests, GET, HEAD or OPTIONS only; observations requests_until_limited and rate_limit (retry_after, RateLimit headers); e.g. rate_limit: {requests: 50, within: 5s, expect_status: 429}"`
	AuthRequired    bool       `yaml:"auth_required" doc:"the request with its credentials removed (user info, Authorization, Cookie, API-key/token headers and query parameters), then with a malformed bearer token, then with an unsigned alg:none JWT (carrying bearer_token's claims when it is a JWT) must each be refused with 401 or 403; 3 extra requests, redirects not followed, GET, HEAD or OPTIONS only; a 401 without WWW-Authenticate still passes but shows as auth_required.www_authenticate: false; e.g. auth_required: true"`
	Injection       *Injection `yaml:"injection" doc:"one request per param with a harmless canary value of quotes and angle brackets: fails on 5xx, a database error in the body, or the canary reflected unencoded; GET, HEAD or OPTIONS only; e.g. injection: {params: [q, sort], in: query}"`

	// Streaming (sse.go): how the answer is read, not what is sent.
	Stream        string  `yaml:"stream" doc:"sse: read the answer as a Server-Sent Events stream (text/event-stream; another content type fails), event by event until its end, adding the observations events, first_event, last_event, done, data, event_types and last_event_id; sends Accept: text/event-stream unless headers set Accept; body is the raw stream text, json is nil; max_body_bytes bounds the whole stream and a longer one is an error, reason too_large; a stream still open at the item's deadline is an error, reason timeout, with the events received so far observed; e.g. stream: sse"`
	MaxEvents     int     `yaml:"max_events" doc:"with stream: most events read (not counting the end marker); one more is an error, reason too_large (default 10000)"`
	MaxEventBytes int64   `yaml:"max_event_bytes" doc:"with stream: most bytes of one event's data, and of one line; more is an error, reason too_large (default 256 KiB, at most max_body_bytes)"`
	Done          *string `yaml:"done" doc:"with stream: an event whose data is this text (spaces trimmed) is the end marker: reading stops there, it is not counted in events nor listed in data, and done is true; default \"[DONE]\" (OpenAI-style); \"\" for none"`
	DoneEvent     string  `yaml:"done_event" doc:"with stream: an event of this type (its event: field) is also an end marker, e.g. done_event: message_stop"`
	DoneOnClose   *bool   `yaml:"done_on_close" doc:"with stream: the server closing the stream after at least one event, not in the middle of one, counts as a clean end (done: true); false requires an end marker (default true)"`
}

// New returns a Probe with its defaults.
func New() *Probe {
	return &Probe{
		Options: reqopt.Defaults(),
		Status:  StatusSpec{"2xx"},
	}
}

// Validate checks the configuration without I/O.
func (p *Probe) Validate() error {
	if err := p.Options.Validate(); err != nil {
		return err
	}
	if p.Body != "" && p.JSON != nil {
		return checks.FieldErrorf("json", "body and json are mutually exclusive")
	}
	if len(p.Status) == 0 {
		return checks.FieldErrorf("status", "at least one status is required")
	}
	if err := p.validateStream(); err != nil {
		return err
	}
	return p.validateBlocks()
}

// Run sends the request and observes the response.
func (p *Probe) Run(ctx context.Context) (checks.Observations, error) {
	obs := checks.Observations{}
	req, err := p.request(ctx)
	if err != nil {
		return obs, err
	}
	var client *http.Client
	kept := false
	if p.FreshConnection {
		client, err = p.Client()
	} else {
		client, kept, err = p.ClientFor(ctx, req)
	}
	if err != nil {
		return obs, err
	}
	if !kept {
		defer client.CloseIdleConnections()
	}
	// Whether the (first) request found a connection already open: with
	// one, latency has no connecting in it.
	reused, first := false, true
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) {
			if first {
				first, reused = false, info.Reused
			}
		},
	}))
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return obs, fmt.Errorf("%s %s: %w", p.Method, reqopt.RedactURL(p.URL), reqopt.UnwrapURLError(err))
	}
	var problems []string
	// A stream is read as one only when the answer is one: an error page
	// or a wrong content type is read, and failed, like any body.
	streaming := false
	if p.Stream == streamSSE && p.Status.Match(resp.StatusCode) {
		streaming = isEventStream(resp.Header)
		if !streaming {
			problems = append(problems, fmt.Sprintf("content-type %q is not text/event-stream, which stream: sse reads", resp.Header.Get("Content-Type")))
		}
	}
	var body []byte
	var readErr error
	if streaming {
		body, readErr = p.readStream(ctx, resp.Body, start, obs)
	} else {
		body, readErr = io.ReadAll(io.LimitReader(resp.Body, p.MaxBodyBytes))
	}
	latency := time.Since(start)
	resp.Body.Close()
	obs["status"] = resp.StatusCode
	obs["latency"] = latency
	obs["connection_reused"] = reused
	obs["url"] = resp.Request.URL.Redacted()
	headers := map[string]any{}
	for k, v := range resp.Header {
		headers[strings.ToLower(k)] = strings.Join(v, ", ")
	}
	obs["headers"] = headers
	obs["body"] = string(body)
	obs["json"] = nil
	if readErr != nil {
		if streaming {
			return obs, readErr // it says where in the stream
		}
		return obs, fmt.Errorf("reading response body: %w", readErr)
	}
	afterRead()
	if !streaming {
		// Parsing a body of many megabytes (max_body_bytes raised) takes
		// seconds: it runs under the attempt's deadline like the request.
		parsed, err := parseJSON(ctx, body)
		if err != nil && !errors.Is(err, errNotJSON) {
			return obs, fmt.Errorf("%s of body read, then %w", fmtBytes(len(body)), err)
		}
		if err == nil {
			obs["json"] = parsed
		}
	}
	// A limiter that is still closed from an earlier burst answers the
	// main request already: that is the rate_limit block's answer, not a
	// wrong status.
	limitedAtOnce := p.RateLimit != nil && resp.StatusCode == p.RateLimit.ExpectStatus
	if !p.Status.Match(resp.StatusCode) && !limitedAtOnce {
		problems = append(problems, fmt.Sprintf("status %d, expected %s", resp.StatusCode, p.Status))
	}
	if p.MaxLatency > 0 && latency > p.MaxLatency {
		problems = append(problems, fmt.Sprintf("latency %s is over max_latency %s", latency.Round(time.Millisecond), p.MaxLatency))
	}
	mainResp := &response{Status: resp.StatusCode, Header: resp.Header, Body: body, URL: resp.Request.URL}
	blocks, err := p.blockEnv(client, kept, mainResp)
	if err != nil {
		return obs, err
	}
	blockProblems, blockErr := p.runBlocks(ctx, blocks, obs)
	problems = append(problems, blockProblems...)
	if blockErr != nil {
		if len(problems) > 0 {
			return obs, fmt.Errorf("%w; also failed: %s", blockErr, strings.Join(problems, "; "))
		}
		return obs, blockErr
	}
	if len(problems) > 0 {
		return obs, checks.Fail("", "%s", strings.Join(problems, "; "))
	}
	return obs, nil
}

func (p *Probe) request(ctx context.Context) (*http.Request, error) {
	var body io.Reader
	contentType := ""
	switch {
	case p.JSON != nil:
		b, err := json.Marshal(jsonCompatible(p.JSON))
		if err != nil {
			return nil, fmt.Errorf("encoding json body: %w", err)
		}
		body, contentType = bytes.NewReader(b), "application/json"
	case p.Body != "":
		body = strings.NewReader(p.Body)
	}
	req, err := p.NewRequest(ctx, body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if p.Stream == streamSSE && req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "text/event-stream")
	}
	return req, nil
}

// jsonCompatible turns YAML-decoded maps (map[string]any already in yaml.v3)
// into something encoding/json accepts.
func jsonCompatible(v any) any {
	switch x := v.(type) {
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = jsonCompatible(e)
		}
		return m
	case map[string]any:
		for k, e := range x {
			x[k] = jsonCompatible(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = jsonCompatible(e)
		}
		return x
	}
	return v
}

var _ checks.Probe = (*Probe)(nil)
