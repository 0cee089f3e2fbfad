package httpcheck

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/checks/reqopt"
)

// response is what a block needs of one answer: status, headers and a
// bounded body, already read and closed.
type response struct {
	Status int
	Header http.Header
	Body   []byte
	URL    *url.URL
}

// env is what every block shares: the main request's client (same TLS
// settings and redirect policy), a client that never follows redirects,
// and the main response.
type env struct {
	p        *Probe
	client   *http.Client
	noFollow *http.Client
	main     *response
}

func newEnv(p *Probe, client *http.Client, main *response) *env {
	return &env{
		p:      p,
		client: client,
		noFollow: &http.Client{
			Transport:     client.Transport,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		main: main,
	}
}

// blockEnv is the blocks' env. Their requests go over connections of
// their own, never the round's shared ones: a request sent without
// credentials must not ride a connection another request authenticated.
func (p *Probe) blockEnv(client *http.Client, kept bool, main *response) (*env, error) {
	if kept && p.hasBlocks() {
		own, err := p.Client()
		if err != nil {
			return nil, err
		}
		client = own
	}
	return newEnv(p, client, main), nil
}

// hasBlocks reports whether any block is enabled.
func (p *Probe) hasBlocks() bool {
	for _, b := range blockTable {
		if b.enabled(p) {
			return true
		}
	}
	return false
}

// do sends req with c and reads at most max_body_bytes of the answer.
func (e *env) do(c *http.Client, req *http.Request) (*response, error) {
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Redacted(), reqopt.UnwrapURLError(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, e.p.MaxBodyBytes))
	r := &response{Status: resp.StatusCode, Header: resp.Header, Body: body, URL: resp.Request.URL}
	if err != nil {
		return r, fmt.Errorf("reading response body of %s %s: %w", req.Method, req.URL.Redacted(), err)
	}
	return r, nil
}

// block is one web-security check: its YAML key, whether the item
// enables it, its configuration check (run whether enabled or not, so
// options that need the block are refused without it) and the check
// itself, which records its observations in obs and returns the problems
// it found (the target answered wrongly) and an error when it could not
// check.
type block struct {
	name     string
	enabled  func(p *Probe) bool
	validate func(p *Probe) error
	run      func(ctx context.Context, e *env, obs checks.Observations) ([]string, error)
}

// blockTable is every web-security block, in the order they run. It is
// the one list of blocks: Validate and Run both walk it.
var blockTable = []block{
	{"security_headers", func(p *Probe) bool { return p.SecurityHeaders != "" }, (*Probe).validateSecurityHeaders, checkSecurityHeaders},
	{"https_redirect", func(p *Probe) bool { return p.HTTPSRedirect }, (*Probe).validateHTTPSRedirect, checkHTTPSRedirect},
	{"cors", func(p *Probe) bool { return p.CORS != nil }, (*Probe).validateCORS, checkCORS},
	{"request_id", func(p *Probe) bool { return p.RequestID != nil }, (*Probe).validateRequestID, checkRequestID},
	{"auth_required", func(p *Probe) bool { return p.AuthRequired }, (*Probe).validateAuthRequired, checkAuthRequired},
	{"injection", func(p *Probe) bool { return p.Injection != nil }, (*Probe).validateInjection, checkInjection},
	// Last: the limit it provokes must not be seen by the other blocks.
	{"rate_limit", func(p *Probe) bool { return p.RateLimit != nil }, (*Probe).validateRateLimit, checkRateLimit},
}

// runBlocks runs every enabled block in turn. Problems are prefixed with
// the block's YAML key so the reader knows which option found them.
func (p *Probe) runBlocks(ctx context.Context, e *env, obs checks.Observations) ([]string, error) {
	var problems []string
	var errs []error
	for _, b := range blockTable {
		if !b.enabled(p) {
			continue
		}
		if err := ctx.Err(); err != nil {
			errs = append(errs, fmt.Errorf("%s: not run: %w", b.name, err))
			break
		}
		probs, err := b.run(ctx, e, obs)
		for _, pr := range probs {
			problems = append(problems, b.name+": "+pr)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", b.name, err))
		}
	}
	switch len(errs) {
	case 0:
		return problems, nil
	case 1:
		return problems, errs[0]
	}
	return problems, joinedError(errs)
}

// joinedError is errors.Join with a one-line message.
type joinedError []error

func (j joinedError) Error() string {
	parts := make([]string, len(j))
	for i, e := range j {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

func (j joinedError) Unwrap() []error { return j }

// validateBlocks checks every block's configuration, without I/O.
func (p *Probe) validateBlocks() error {
	for _, b := range blockTable {
		if err := b.validate(p); err != nil {
			return err
		}
	}
	return nil
}

// requireSafeMethod refuses a block that repeats the request unless the
// method cannot change the target.
func (p *Probe) requireSafeMethod(field string) error {
	switch p.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	return checks.FieldErrorf(field, "%s repeats the request, so method must be GET, HEAD or OPTIONS, not %s: readyctl never repeats a request that could change the target", field, p.Method)
}

// stripCredentials removes everything that looks like a credential from
// req: URL user info, credential-looking headers (Authorization, Cookie,
// X-API-Key, ...) and credential-looking query parameters.
func stripCredentials(req *http.Request) {
	req.URL.User = nil
	for k := range req.Header {
		if reqopt.IsCredentialName(k) {
			req.Header.Del(k)
		}
	}
	q := req.URL.Query()
	changed := false
	for k := range q {
		if reqopt.IsCredentialName(k) {
			q.Del(k)
			changed = true
		}
	}
	if changed {
		req.URL.RawQuery = q.Encode()
	}
}

// bareRequest is a request to target with only the User-Agent, the
// configured Host override and, when withHeaders, the configured headers
// that carry no credential.
func (p *Probe) bareRequest(ctx context.Context, method, target string, withHeaders bool) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, nil)
	if err != nil {
		return nil, fmt.Errorf("building request: %w", reqopt.RedactError(err))
	}
	req.URL.User = nil
	req.Header.Set("User-Agent", "readyctl")
	for k, v := range p.Headers {
		switch {
		case strings.EqualFold(k, "host"):
			req.Host = v
		case withHeaders && !reqopt.IsCredentialName(k):
			req.Header.Set(k, v)
		}
	}
	return req, nil
}

// randomHex returns n random bytes as hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// contextErr returns ctx's error when the failure of a request was caused
// by the item deadline or cancellation rather than by the target.
func contextErr(ctx context.Context, err error) error {
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// headerValue returns the values of a header joined, or nil when absent,
// for observations.
func headerValue(h http.Header, name string) any {
	v := h.Values(name)
	if len(v) == 0 {
		return nil
	}
	return strings.Join(v, ", ")
}
