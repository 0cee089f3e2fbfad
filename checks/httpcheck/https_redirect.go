package httpcheck

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/checks/reqopt"
)

func (p *Probe) validateHTTPSRedirect() error {
	if !p.HTTPSRedirect {
		switch {
		case p.HTTPURL != "":
			return checks.FieldErrorf("http_url", "http_url only applies with https_redirect: true")
		case p.AllowTemporary:
			return checks.FieldErrorf("allow_temporary", "allow_temporary only applies with https_redirect: true")
		}
		return nil
	}
	if p.HTTPURL != "" {
		u, err := url.Parse(p.HTTPURL)
		if err != nil {
			return checks.FieldErrorf("http_url", "bad http_url: %v", reqopt.ParseErrorShape(err))
		}
		if u.Scheme != "http" || u.Host == "" {
			return checks.FieldErrorf("http_url", "http_url %q must be an http:// URL with a host", u.Redacted())
		}
		return nil
	}
	if _, err := p.plainURL(); err != nil {
		return checks.FieldErrorf("https_redirect", "%v", err)
	}
	return nil
}

// plainURL is the URL whose first hop must redirect to https: http_url,
// or url itself when it is http://, or url with http:// on port 80.
func (p *Probe) plainURL() (string, error) {
	if p.HTTPURL != "" {
		return p.HTTPURL, nil
	}
	u, err := url.Parse(p.URL)
	if err != nil {
		return "", err
	}
	if u.Scheme == "http" {
		return p.URL, nil
	}
	if port := u.Port(); port != "" && port != "443" {
		return "", fmt.Errorf("url %q has port %s, so the plain-http URL cannot be guessed: set http_url", u.Redacted(), port)
	}
	plain := *u
	plain.Scheme = "http"
	plain.Host = u.Hostname()
	if strings.Contains(plain.Host, ":") { // IPv6 literal
		plain.Host = "[" + plain.Host + "]"
	}
	return plain.String(), nil
}

// checkHTTPSRedirect sends one GET to the plain-http URL, without
// credentials (they would travel in clear text) and without following the
// redirect, and judges the first hop.
func checkHTTPSRedirect(ctx context.Context, e *env, obs checks.Observations) ([]string, error) {
	p := e.p
	plain, err := p.plainURL()
	if err != nil {
		return nil, err
	}
	req, err := p.bareRequest(ctx, http.MethodGet, plain, true)
	if err != nil {
		return nil, err
	}
	shown := req.URL.Redacted()
	o := map[string]any{"url": shown, "status": nil, "location": nil, "ok": false}
	obs["https_redirect"] = o
	resp, err := e.do(e.noFollow, req)
	if err != nil {
		if cerr := contextErr(ctx, err); cerr != nil {
			return nil, cerr
		}
		// The host answered the main request, so a plain-http port that
		// refuses or drops is an answer too: nobody gets redirected.
		return []string{fmt.Sprintf("%s did not answer (%v); want a 301 or 308 redirect to https", shown, reqopt.UnwrapURLError(err))}, nil
	}
	o["status"] = resp.Status
	loc := resp.Header.Get("Location")
	o["location"] = nilIfEmpty(loc)

	want := "301 or 308"
	if p.AllowTemporary {
		want = "301, 302, 307 or 308"
	}
	switch resp.Status {
	case http.StatusMovedPermanently, http.StatusPermanentRedirect:
	case http.StatusFound, http.StatusTemporaryRedirect:
		if !p.AllowTemporary {
			return []string{fmt.Sprintf("%s answered %d, a temporary redirect; want 301 or 308 (allow_temporary accepts 302/307)", shown, resp.Status)}, nil
		}
	default:
		return []string{fmt.Sprintf("%s answered %d, want a %s redirect to https", shown, resp.Status, want)}, nil
	}
	if loc == "" {
		return []string{fmt.Sprintf("%s answered %d without a Location header", shown, resp.Status)}, nil
	}
	target, err := req.URL.Parse(loc)
	if err != nil {
		return []string{fmt.Sprintf("%s redirects to %q, which is not a valid URL", shown, loc)}, nil
	}
	o["location"] = target.Redacted()
	if target.Scheme != "https" {
		return []string{fmt.Sprintf("%s redirects to %q, which is not https", shown, target.Redacted())}, nil
	}
	host := req.URL.Hostname()
	if req.Host != "" {
		host = hostOnly(req.Host)
	}
	if !strings.EqualFold(target.Hostname(), host) {
		return []string{fmt.Sprintf("%s redirects to %q, a different host than %q", shown, target.Redacted(), host)}, nil
	}
	o["ok"] = true
	return nil, nil
}

// hostOnly drops the port of a Host header value.
func hostOnly(hostport string) string {
	u := url.URL{Host: hostport}
	return u.Hostname()
}
