package httpcheck

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/readyctl/readyctl/checks"
)

// CORS is the `cors:` block: what a browser preflight from Origin must be
// told.
type CORS struct {
	Origin      string `yaml:"origin" doc:"origin the preflight comes from, e.g. https://app.example.com (required)"`
	Allowed     *bool  `yaml:"allowed" doc:"true: origin must be allowed; false: it must not be, neither reflected nor by * (required)"`
	Credentials *bool  `yaml:"credentials" doc:"for an allowed origin: true wants Access-Control-Allow-Credentials: true (and the exact origin, not *); false wants it absent; unset: either"`
	Method      string `yaml:"method" doc:"Access-Control-Request-Method of the preflight (default: the probe's method)"`
}

func (p *Probe) validateCORS() error {
	c := p.CORS
	if c == nil {
		return nil
	}
	if c.Origin == "" {
		return checks.FieldErrorf("cors.origin", "cors.origin is required, e.g. https://app.example.com")
	}
	u, err := url.Parse(c.Origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return checks.FieldErrorf("cors.origin", "cors.origin %q must be an origin: scheme://host[:port], nothing else", c.Origin)
	}
	c.Origin = strings.TrimSuffix(c.Origin, "/")
	if c.Allowed == nil {
		return checks.FieldErrorf("cors.allowed", "cors.allowed is required: true if %s must be allowed, false if it must be refused", c.Origin)
	}
	c.Method = strings.ToUpper(c.Method)
	if c.Method == "" {
		c.Method = p.Method
	}
	return nil
}

// preflight is what one OPTIONS preflight was told.
type preflight struct {
	status           int
	allowOrigin      string
	allowCredentials bool
	allowMethods     string
}

func (f preflight) observation() map[string]any {
	return map[string]any{
		"status":            f.status,
		"allow_origin":      nilIfEmpty(f.allowOrigin),
		"allow_credentials": f.allowCredentials,
		"allow_methods":     nilIfEmpty(f.allowMethods),
	}
}

// sendPreflight sends a browser-like preflight: no credentials, no
// configured headers, redirects not followed (browsers refuse them).
func (e *env) sendPreflight(ctx context.Context, origin, method string) (preflight, error) {
	req, err := e.p.bareRequest(ctx, http.MethodOptions, e.p.URL, false)
	if err != nil {
		return preflight{}, err
	}
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", method)
	resp, err := e.do(e.noFollow, req)
	if err != nil {
		return preflight{}, err
	}
	return preflight{
		status:           resp.Status,
		allowOrigin:      strings.TrimSpace(resp.Header.Get("Access-Control-Allow-Origin")),
		allowCredentials: strings.EqualFold(strings.TrimSpace(resp.Header.Get("Access-Control-Allow-Credentials")), "true"),
		allowMethods:     strings.Join(resp.Header.Values("Access-Control-Allow-Methods"), ", "),
	}, nil
}

// checkCORS sends two preflights: one from the configured origin, one
// from a random origin under .invalid that no policy can mean to allow.
func checkCORS(ctx context.Context, e *env, obs checks.Observations) ([]string, error) {
	c := e.p.CORS
	o := map[string]any{"origin": c.Origin, "method": c.Method}
	obs["cors"] = o
	var problems []string

	got, err := e.sendPreflight(ctx, c.Origin, c.Method)
	if err != nil {
		return nil, err
	}
	o["preflight"] = got.observation()
	problems = append(problems, judgeOrigin(c, got)...)

	arbitrary := "https://readyctl-probe-" + randomHex(6) + ".invalid"
	arb, err := e.sendPreflight(ctx, arbitrary, c.Method)
	if err != nil {
		return problems, err
	}
	ao := arb.observation()
	ao["origin"] = arbitrary
	o["arbitrary_origin"] = ao
	reflected := arb.allowOrigin == arbitrary
	o["arbitrary_origin_reflected"] = reflected
	switch {
	case reflected && arb.allowCredentials:
		problems = append(problems, fmt.Sprintf("a preflight from an arbitrary origin (%s) got it reflected in Access-Control-Allow-Origin with Access-Control-Allow-Credentials: true: any site can make credentialed requests", arbitrary))
	case arb.allowOrigin == "*" && arb.allowCredentials && got.allowOrigin != "*":
		problems = append(problems, fmt.Sprintf("a preflight from an arbitrary origin (%s) got Access-Control-Allow-Origin * with Access-Control-Allow-Credentials: true", arbitrary))
	}
	o["ok"] = len(problems) == 0
	return problems, nil
}

// judgeOrigin checks the preflight from the configured origin.
func judgeOrigin(c *CORS, got preflight) []string {
	var problems []string
	from := "a preflight from " + c.Origin
	seenACAO := "no Access-Control-Allow-Origin"
	if got.allowOrigin != "" {
		seenACAO = fmt.Sprintf("Access-Control-Allow-Origin %q", got.allowOrigin)
	}
	if got.allowOrigin == "*" && got.allowCredentials {
		problems = append(problems, from+" got Access-Control-Allow-Origin * together with Access-Control-Allow-Credentials: true")
	}
	if !*c.Allowed {
		switch got.allowOrigin {
		case c.Origin:
			msg := fmt.Sprintf("%s, which must not be allowed, got it reflected in Access-Control-Allow-Origin", from)
			if got.allowCredentials {
				msg += " with Access-Control-Allow-Credentials: true"
			}
			problems = append(problems, msg)
		case "*":
			if !got.allowCredentials { // else reported above
				problems = append(problems, fmt.Sprintf("%s, which must not be allowed, got Access-Control-Allow-Origin *", from))
			}
		}
		return problems
	}
	if got.status < 200 || got.status > 299 {
		problems = append(problems, fmt.Sprintf("%s was answered %d; browsers need a 2xx preflight", from, got.status))
	}
	switch {
	case got.allowOrigin == c.Origin:
	case got.allowOrigin == "*" && (c.Credentials == nil || !*c.Credentials):
	case got.allowOrigin == "*":
		if !got.allowCredentials { // else reported above
			problems = append(problems, fmt.Sprintf("%s got Access-Control-Allow-Origin *, which browsers refuse for credentialed requests (want %s)", from, c.Origin))
		}
	default:
		problems = append(problems, fmt.Sprintf("%s got %s (want %s)", from, seenACAO, c.Origin))
	}
	switch {
	case c.Credentials == nil:
	case *c.Credentials && !got.allowCredentials:
		problems = append(problems, fmt.Sprintf("%s got no Access-Control-Allow-Credentials: true (credentials: true)", from))
	case !*c.Credentials && got.allowCredentials && got.allowOrigin != "*":
		problems = append(problems, fmt.Sprintf("%s got Access-Control-Allow-Credentials: true, but credentials: false", from))
	}
	if !simpleMethod(c.Method) && !methodListed(got.allowMethods, c.Method) {
		problems = append(problems, fmt.Sprintf("%s got Access-Control-Allow-Methods %q, which does not include %s", from, got.allowMethods, c.Method))
	}
	return problems
}

// simpleMethod: browsers send these cross-origin without needing them in
// Access-Control-Allow-Methods.
func simpleMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodPost
}

func methodListed(list, method string) bool {
	for _, m := range strings.Split(list, ",") {
		m = strings.TrimSpace(m)
		if m == "*" || strings.EqualFold(m, method) {
			return true
		}
	}
	return false
}
