package httpcheck

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/readyctl/readyctl/checks"
)

// HSTS max-age minimums: 180 days is the common baseline (Mozilla
// Observatory), one year with includeSubDomains what preload lists need.
const (
	hstsBaselineMaxAge = 15552000
	hstsStrictMaxAge   = 31536000
)

const (
	levelBaseline = "baseline"
	levelStrict   = "strict"
)

func (p *Probe) validateSecurityHeaders() error {
	p.SecurityHeaders = strings.ToLower(strings.TrimSpace(p.SecurityHeaders))
	switch p.SecurityHeaders {
	case "", levelBaseline, levelStrict:
		return nil
	}
	return checks.FieldErrorf("security_headers", "security_headers %q: want baseline or strict", p.SecurityHeaders)
}

// subCheck is one line of the security_headers verdict.
type subCheck struct {
	ok      bool
	value   any    // what the response had; nil when the header is absent
	want    string // what passes, in words
	problem string // set when !ok: names the header and the value seen
}

func (s subCheck) observation() map[string]any {
	return map[string]any{"ok": s.ok, "value": s.value, "want": s.want}
}

// checkSecurityHeaders judges the main response's headers; it sends
// nothing. HSTS is checked whatever the URL's scheme, because a service
// behind a TLS-terminating proxy is often probed over plain http while
// its headers are what the browser finally sees.
func checkSecurityHeaders(_ context.Context, e *env, obs checks.Observations) ([]string, error) {
	level := e.p.SecurityHeaders
	h := e.main.Header
	strict := level == levelStrict
	checksInOrder := []struct {
		name string
		sc   subCheck
	}{
		{"hsts", hstsCheck(h, strict)},
		{"content_type_options", nosniffCheck(h)},
		{"framing", framingCheck(h)},
		{"csp", cspCheck(h, strict)},
		{"referrer_policy", referrerCheck(h)},
		{"server", versionLeakCheck(h, "Server")},
		{"x_powered_by", versionLeakCheck(h, "X-Powered-By")},
		{"cookies", cookiesCheck(h, strict)},
	}
	o := map[string]any{"level": level}
	var problems []string
	allOK := true
	for _, c := range checksInOrder {
		o[c.name] = c.sc.observation()
		if !c.sc.ok {
			allOK = false
			problems = append(problems, c.sc.problem)
		}
	}
	o["ok"] = allOK
	obs["security_headers"] = o
	return problems, nil
}

func hstsCheck(h http.Header, strict bool) subCheck {
	min := int64(hstsBaselineMaxAge)
	want := fmt.Sprintf("max-age >= %d", min)
	if strict {
		min = hstsStrictMaxAge
		want = fmt.Sprintf("max-age >= %d; includeSubDomains", min)
	}
	v := h.Get("Strict-Transport-Security") // browsers honour the first
	if v == "" {
		return subCheck{want: want, problem: fmt.Sprintf("Strict-Transport-Security missing (want %s)", want)}
	}
	sc := subCheck{ok: true, value: v, want: want}
	maxAge, hasMaxAge, sub := parseHSTS(v)
	var why []string
	switch {
	case !hasMaxAge:
		why = append(why, "no valid max-age")
	case maxAge < min:
		why = append(why, fmt.Sprintf("max-age %d is below %d", maxAge, min))
	}
	if strict && !sub {
		why = append(why, "includeSubDomains missing")
	}
	if len(why) > 0 {
		sc.ok = false
		sc.problem = fmt.Sprintf("Strict-Transport-Security %q: %s", v, strings.Join(why, ", "))
	}
	return sc
}

func parseHSTS(v string) (maxAge int64, hasMaxAge, includeSubDomains bool) {
	for _, d := range strings.Split(v, ";") {
		k, val, _ := strings.Cut(strings.TrimSpace(d), "=")
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "max-age":
			n, err := strconv.ParseInt(strings.Trim(strings.TrimSpace(val), `"`), 10, 64)
			if err == nil && n >= 0 {
				maxAge, hasMaxAge = n, true
			}
		case "includesubdomains":
			includeSubDomains = true
		}
	}
	return maxAge, hasMaxAge, includeSubDomains
}

func nosniffCheck(h http.Header) subCheck {
	const want = "nosniff"
	v := h.Get("X-Content-Type-Options")
	switch {
	case v == "":
		return subCheck{want: want, problem: "X-Content-Type-Options missing (want nosniff)"}
	case !strings.EqualFold(strings.TrimSpace(v), "nosniff"):
		return subCheck{value: v, want: want, problem: fmt.Sprintf("X-Content-Type-Options %q is not nosniff", v)}
	}
	return subCheck{ok: true, value: v, want: want}
}

// framingCheck accepts X-Frame-Options DENY/SAMEORIGIN or a CSP
// frame-ancestors directive that does not allow every origin.
func framingCheck(h http.Header) subCheck {
	const want = "X-Frame-Options DENY or SAMEORIGIN, or CSP frame-ancestors"
	xfo := strings.TrimSpace(h.Get("X-Frame-Options"))
	var fa []string
	hasFA := false
	for _, d := range parseCSP(h.Values("Content-Security-Policy")) {
		if d.name == "frame-ancestors" {
			hasFA = true
			fa = d.sources
			break
		}
	}
	faOK := hasFA && !anyOf(fa, "*", "http:", "https:")
	xfoOK := strings.EqualFold(xfo, "DENY") || strings.EqualFold(xfo, "SAMEORIGIN")
	value := map[string]any{"x_frame_options": nilIfEmpty(xfo), "frame_ancestors": nil}
	if hasFA {
		value["frame_ancestors"] = strings.Join(fa, " ")
	}
	sc := subCheck{ok: xfoOK || faOK, value: value, want: want}
	if sc.ok {
		return sc
	}
	var seen []string
	switch xfo {
	case "":
		seen = append(seen, "X-Frame-Options missing")
	default:
		seen = append(seen, fmt.Sprintf("X-Frame-Options %q is not DENY or SAMEORIGIN", xfo))
	}
	if hasFA {
		seen = append(seen, fmt.Sprintf("CSP frame-ancestors %q allows any origin", strings.Join(fa, " ")))
	} else {
		seen = append(seen, "CSP has no frame-ancestors")
	}
	sc.problem = "no framing protection: " + strings.Join(seen, " and ")
	return sc
}

// cspCheck wants an enforced Content-Security-Policy; strict also refuses
// 'unsafe-inline' and 'unsafe-eval' in any directive, except
// 'unsafe-inline' next to a nonce or hash (browsers then ignore it).
func cspCheck(h http.Header, strict bool) subCheck {
	want := "Content-Security-Policy present"
	if strict {
		want = "Content-Security-Policy without 'unsafe-inline' or 'unsafe-eval'"
	}
	values := h.Values("Content-Security-Policy")
	if len(values) == 0 || strings.TrimSpace(strings.Join(values, "")) == "" {
		msg := "Content-Security-Policy missing"
		if h.Get("Content-Security-Policy-Report-Only") != "" {
			msg += " (only Content-Security-Policy-Report-Only, which enforces nothing)"
		}
		return subCheck{want: want, problem: msg}
	}
	v := strings.Join(values, ", ")
	sc := subCheck{ok: true, value: v, want: want}
	if !strict {
		return sc
	}
	var unsafe []string
	for _, d := range parseCSP(values) {
		hasNonceOrHash := false
		for _, s := range d.sources {
			ls := strings.ToLower(s)
			if strings.HasPrefix(ls, "'nonce-") || strings.HasPrefix(ls, "'sha256-") || strings.HasPrefix(ls, "'sha384-") || strings.HasPrefix(ls, "'sha512-") {
				hasNonceOrHash = true
			}
		}
		for _, s := range d.sources {
			switch strings.ToLower(s) {
			case "'unsafe-inline'":
				if !hasNonceOrHash {
					unsafe = append(unsafe, d.name+" "+s)
				}
			case "'unsafe-eval'":
				unsafe = append(unsafe, d.name+" "+s)
			}
		}
	}
	if len(unsafe) > 0 {
		sc.ok = false
		sc.problem = fmt.Sprintf("Content-Security-Policy allows %s (policy %q)", strings.Join(unsafe, ", "), v)
	}
	return sc
}

type cspDirective struct {
	name    string
	sources []string
}

// parseCSP splits one or more policies (several headers, or one header
// with comma-separated policies) into directives.
func parseCSP(values []string) []cspDirective {
	var out []cspDirective
	for _, v := range values {
		for _, policy := range strings.Split(v, ",") {
			for _, d := range strings.Split(policy, ";") {
				f := strings.Fields(d)
				if len(f) == 0 {
					continue
				}
				out = append(out, cspDirective{name: strings.ToLower(f[0]), sources: f[1:]})
			}
		}
	}
	return out
}

var safeReferrerPolicies = []string{"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}

// referrerCheck wants a Referrer-Policy that never sends the full URL to
// another origin. Browsers use the last policy they understand.
func referrerCheck(h http.Header) subCheck {
	want := strings.Join(safeReferrerPolicies, ", ")
	raw := strings.Join(h.Values("Referrer-Policy"), ", ")
	if strings.TrimSpace(raw) == "" {
		return subCheck{want: want, problem: "Referrer-Policy missing (want one of " + want + ")"}
	}
	effective := ""
	for _, tok := range strings.Split(raw, ",") {
		if t := strings.ToLower(strings.TrimSpace(tok)); t != "" {
			effective = t
		}
	}
	if !anyOf(safeReferrerPolicies, effective) {
		return subCheck{value: raw, want: want, problem: fmt.Sprintf("Referrer-Policy %q is not safe (want one of %s)", raw, want)}
	}
	return subCheck{ok: true, value: raw, want: want}
}

// versionToken finds a product token with a version, such as nginx/1.25.3,
// PHP/8.2.1 or Jetty(9.4.44).
var versionToken = regexp.MustCompile(`[A-Za-z][\w.+-]*(?:/\s*v?\d|\(\d)`)

func versionLeakCheck(h http.Header, name string) subCheck {
	const want = "absent, or a product name without a version"
	v := strings.Join(h.Values(name), ", ")
	if v == "" {
		return subCheck{ok: true, want: want}
	}
	if versionToken.MatchString(v) {
		return subCheck{value: v, want: want, problem: fmt.Sprintf("%s %q leaks a version", name, v)}
	}
	return subCheck{ok: true, value: v, want: want}
}

// sessionCookie matches cookie names that look like they carry a session
// or a credential; CSRF cookies are meant to be read by scripts.
var (
	sessionCookie = regexp.MustCompile(`(?i)(sess|sid|auth|token|jwt|login|remember|identity)`)
	csrfCookie    = regexp.MustCompile(`(?i)(csrf|xsrf)`)
)

// cookiesCheck wants every cookie the response sets to be Secure and carry
// SameSite, and session-looking cookies to be HttpOnly; strict also
// refuses SameSite=None. Cookies being deleted (Max-Age<=0) are skipped.
// Cookie values never enter an observation or a message.
func cookiesCheck(h http.Header, strict bool) subCheck {
	want := "Secure and SameSite on every cookie, HttpOnly on session cookies"
	if strict {
		want = "Secure and SameSite=Lax or Strict on every cookie, HttpOnly on session cookies"
	}
	var seen []any
	var bad []string
	for _, line := range h.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err != nil || c.MaxAge < 0 || (!c.Expires.IsZero() && c.Expires.Before(time.Now())) {
			continue
		}
		session := sessionCookie.MatchString(c.Name) && !csrfCookie.MatchString(c.Name)
		sameSite := map[http.SameSite]string{http.SameSiteLaxMode: "Lax", http.SameSiteStrictMode: "Strict", http.SameSiteNoneMode: "None", http.SameSiteDefaultMode: "(empty)"}[c.SameSite]
		seen = append(seen, map[string]any{
			"name": c.Name, "secure": c.Secure, "http_only": c.HttpOnly,
			"same_site": nilIfEmpty(sameSite), "session": session,
		})
		var lacks []string
		if !c.Secure {
			lacks = append(lacks, "Secure")
		}
		if session && !c.HttpOnly {
			lacks = append(lacks, "HttpOnly")
		}
		switch {
		case c.SameSite == 0:
			lacks = append(lacks, "SameSite")
		case strict && c.SameSite != http.SameSiteLaxMode && c.SameSite != http.SameSiteStrictMode:
			lacks = append(lacks, "SameSite=Lax or Strict (has "+sameSite+")")
		}
		if len(lacks) > 0 {
			bad = append(bad, fmt.Sprintf("cookie %q lacks %s", c.Name, strings.Join(lacks, ", ")))
		}
	}
	sc := subCheck{ok: len(bad) == 0, want: want}
	if len(seen) > 0 {
		sc.value = seen
	}
	sc.problem = strings.Join(bad, "; ")
	return sc
}

func anyOf(list []string, s ...string) bool {
	for _, l := range list {
		for _, x := range s {
			if strings.EqualFold(l, x) {
				return true
			}
		}
	}
	return false
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
