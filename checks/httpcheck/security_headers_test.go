package httpcheck

import (
	"net/http"
	"strings"
	"testing"
)

// goodHeaders pass even the strict level.
func goodHeaders() http.Header {
	return http.Header{
		"Strict-Transport-Security": {"max-age=31536000; includeSubDomains; preload"},
		"X-Content-Type-Options":    {"nosniff"},
		"X-Frame-Options":           {"DENY"},
		"Content-Security-Policy":   {"default-src 'self'; script-src 'self'; object-src 'none'"},
		"Referrer-Policy":           {"strict-origin-when-cross-origin"},
		"Server":                    {"nginx"},
		"Set-Cookie": {
			"session_id=abc; Path=/; Secure; HttpOnly; SameSite=Lax",
			"theme=dark; Path=/; Secure; SameSite=Strict",
		},
	}
}

func TestSecurityHeaders(t *testing.T) {
	tests := []struct {
		name   string
		level  string
		edit   func(h http.Header)
		fails  []string // substrings of the message; none = pass
		subKey string   // the sub-check expected not ok
	}{
		{name: "all good baseline", level: "baseline", edit: func(http.Header) {}},
		{name: "all good strict", level: "strict", edit: func(http.Header) {}},
		{
			name: "baseline accepts 180 days without includeSubDomains", level: "baseline",
			edit: func(h http.Header) { h.Set("Strict-Transport-Security", "max-age=15552000") },
		},
		{
			name: "hsts missing", level: "baseline", subKey: "hsts",
			edit:  func(h http.Header) { h.Del("Strict-Transport-Security") },
			fails: []string{"security_headers: Strict-Transport-Security missing (want max-age >= 15552000)"},
		},
		{
			name: "hsts too short", level: "baseline", subKey: "hsts",
			edit:  func(h http.Header) { h.Set("Strict-Transport-Security", "max-age=300") },
			fails: []string{`Strict-Transport-Security "max-age=300": max-age 300 is below 15552000`},
		},
		{
			name: "hsts strict wants a year", level: "strict", subKey: "hsts",
			edit:  func(h http.Header) { h.Set("Strict-Transport-Security", "max-age=15552000; includeSubDomains") },
			fails: []string{`max-age 15552000 is below 31536000`},
		},
		{
			name: "hsts strict wants includeSubDomains", level: "strict", subKey: "hsts",
			edit:  func(h http.Header) { h.Set("Strict-Transport-Security", "max-age=63072000") },
			fails: []string{`Strict-Transport-Security "max-age=63072000": includeSubDomains missing`},
		},
		{
			name: "hsts garbage", level: "baseline", subKey: "hsts",
			edit:  func(h http.Header) { h.Set("Strict-Transport-Security", "max-age=forever") },
			fails: []string{`"max-age=forever": no valid max-age`},
		},
		{
			name: "nosniff missing", level: "baseline", subKey: "content_type_options",
			edit:  func(h http.Header) { h.Del("X-Content-Type-Options") },
			fails: []string{"X-Content-Type-Options missing (want nosniff)"},
		},
		{
			name: "nosniff wrong", level: "baseline", subKey: "content_type_options",
			edit:  func(h http.Header) { h.Set("X-Content-Type-Options", "sniff-away") },
			fails: []string{`X-Content-Type-Options "sniff-away" is not nosniff`},
		},
		{
			name: "framing by CSP frame-ancestors alone", level: "strict",
			edit: func(h http.Header) {
				h.Del("X-Frame-Options")
				h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
			},
		},
		{
			name: "no framing protection", level: "baseline", subKey: "framing",
			edit:  func(h http.Header) { h.Del("X-Frame-Options") },
			fails: []string{"no framing protection: X-Frame-Options missing and CSP has no frame-ancestors"},
		},
		{
			name: "X-Frame-Options ALLOW-FROM", level: "baseline", subKey: "framing",
			edit:  func(h http.Header) { h.Set("X-Frame-Options", "ALLOW-FROM https://x.example") },
			fails: []string{`X-Frame-Options "ALLOW-FROM https://x.example" is not DENY or SAMEORIGIN`},
		},
		{
			name: "frame-ancestors star", level: "baseline", subKey: "framing",
			edit: func(h http.Header) {
				h.Del("X-Frame-Options")
				h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors *")
			},
			fails: []string{`CSP frame-ancestors "*" allows any origin`},
		},
		{
			name: "csp missing", level: "baseline", subKey: "csp",
			edit:  func(h http.Header) { h.Del("Content-Security-Policy") },
			fails: []string{"Content-Security-Policy missing"},
		},
		{
			name: "csp report-only", level: "baseline", subKey: "csp",
			edit: func(h http.Header) {
				h.Set("Content-Security-Policy-Report-Only", h.Get("Content-Security-Policy"))
				h.Del("Content-Security-Policy")
			},
			fails: []string{"only Content-Security-Policy-Report-Only, which enforces nothing"},
		},
		{
			name: "baseline accepts unsafe-inline", level: "baseline",
			edit: func(h http.Header) { h.Set("Content-Security-Policy", "script-src 'self' 'unsafe-inline'") },
		},
		{
			name: "strict refuses unsafe-inline", level: "strict", subKey: "csp",
			edit: func(h http.Header) {
				h.Set("Content-Security-Policy", "script-src 'self' 'unsafe-inline' 'unsafe-eval'")
			},
			fails: []string{`Content-Security-Policy allows script-src 'unsafe-inline', script-src 'unsafe-eval' (policy "script-src 'self' 'unsafe-inline' 'unsafe-eval'")`},
		},
		{
			name: "strict ignores unsafe-inline beside a nonce", level: "strict",
			edit: func(h http.Header) { h.Set("Content-Security-Policy", "script-src 'nonce-r4nd0m' 'unsafe-inline'") },
		},
		{
			name: "referrer missing", level: "baseline", subKey: "referrer_policy",
			edit:  func(h http.Header) { h.Del("Referrer-Policy") },
			fails: []string{"Referrer-Policy missing (want one of no-referrer, same-origin, strict-origin, strict-origin-when-cross-origin)"},
		},
		{
			name: "referrer unsafe-url", level: "baseline", subKey: "referrer_policy",
			edit:  func(h http.Header) { h.Set("Referrer-Policy", "unsafe-url") },
			fails: []string{`Referrer-Policy "unsafe-url" is not safe`},
		},
		{
			name: "referrer last one wins", level: "baseline",
			edit: func(h http.Header) { h.Set("Referrer-Policy", "unsafe-url, no-referrer") },
		},
		{
			name: "server version", level: "baseline", subKey: "server",
			edit:  func(h http.Header) { h.Set("Server", "nginx/1.25.3") },
			fails: []string{`Server "nginx/1.25.3" leaks a version`},
		},
		{
			name: "server version in comment-style token", level: "baseline", subKey: "server",
			edit:  func(h http.Header) { h.Set("Server", "Jetty(9.4.44.v20210927)") },
			fails: []string{`Server "Jetty(9.4.44.v20210927)" leaks a version`},
		},
		{
			name: "server without version", level: "baseline",
			edit: func(h http.Header) { h.Set("Server", "cloudflare") },
		},
		{
			name: "x-powered-by version", level: "baseline", subKey: "x_powered_by",
			edit:  func(h http.Header) { h.Set("X-Powered-By", "PHP/8.2.1") },
			fails: []string{`X-Powered-By "PHP/8.2.1" leaks a version`},
		},
		{
			name: "cookie flags missing", level: "baseline", subKey: "cookies",
			edit: func(h http.Header) {
				h["Set-Cookie"] = []string{"sid=secretvalue; Path=/", "csrftoken=x; Secure; SameSite=Lax", "gone=; Max-Age=0"}
			},
			fails: []string{`cookie "sid" lacks Secure, HttpOnly, SameSite`},
		},
		{
			name: "strict refuses SameSite=None", level: "strict", subKey: "cookies",
			edit: func(h http.Header) {
				h["Set-Cookie"] = []string{"prefs=1; Secure; SameSite=None"}
			},
			fails: []string{`cookie "prefs" lacks SameSite=Lax or Strict (has None)`},
		},
		{
			name: "several failures listed", level: "baseline",
			edit: func(h http.Header) {
				h.Set("Strict-Transport-Security", "max-age=300")
				h.Del("X-Content-Type-Options")
				h.Set("Server", "Apache/2.4.57 (Ubuntu)")
			},
			fails: []string{
				`security_headers: Strict-Transport-Security "max-age=300": max-age 300 is below 15552000; security_headers: X-Content-Type-Options missing (want nosniff); security_headers: Server "Apache/2.4.57 (Ubuntu)" leaks a version`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := goodHeaders()
			tt.edit(h)
			srv := newCounting(t, true, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range h {
					w.Header()[k] = v
				}
				w.WriteHeader(http.StatusOK)
			})
			p := load(t, "url: "+srv.URL+"\ntls: {ca_file: '"+caFile(t, srv)+"'}\nsecurity_headers: "+tt.level+"\n")
			obs, err := run(t, p)
			if srv.count() != 1 {
				t.Errorf("security_headers sent %d requests, want only the main one", srv.count())
			}
			if len(tt.fails) == 0 {
				wantPass(t, err)
				if sub(t, obs, "security_headers", "ok") != true {
					t.Errorf("observation ok is not true: %v", obs["security_headers"])
				}
				return
			}
			msg := wantFail(t, err, tt.fails...)
			if strings.Contains(msg, "secretvalue") {
				t.Errorf("message leaks a cookie value: %s", msg)
			}
			if tt.subKey != "" && sub(t, obs, "security_headers", tt.subKey, "ok") != false {
				t.Errorf("sub-check %s should be not ok: %v", tt.subKey, obs["security_headers"])
			}
		})
	}
}

func TestSecurityHeadersObservations(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", "max-age=300")
		w.Header().Set("Set-Cookie", "sid=topsecret; Secure; HttpOnly; SameSite=Strict")
	})
	p := load(t, "url: "+srv.URL+"\nsecurity_headers: baseline\n")
	obs, err := run(t, p)
	failMessage(t, err)
	hsts := sub(t, obs, "security_headers", "hsts").(map[string]any)
	if hsts["ok"] != false || hsts["value"] != "max-age=300" || hsts["want"] != "max-age >= 15552000" {
		t.Errorf("hsts observation = %v", hsts)
	}
	if v := sub(t, obs, "security_headers", "content_type_options", "value"); v != nil {
		t.Errorf("absent header should observe nil, got %v", v)
	}
	cookies := sub(t, obs, "security_headers", "cookies", "value").([]any)
	c := cookies[0].(map[string]any)
	if c["name"] != "sid" || c["secure"] != true || c["http_only"] != true || c["same_site"] != "Strict" || c["session"] != true {
		t.Errorf("cookie observation = %v", c)
	}
	for _, v := range c {
		if v == "topsecret" {
			t.Error("cookie value in observation")
		}
	}
	if sub(t, obs, "security_headers", "level") != "baseline" {
		t.Error("level not observed")
	}
}

func TestSecurityHeadersValidate(t *testing.T) {
	if _, err := loadErr("url: http://x\nsecurity_headers: paranoid\n"); err == nil || !strings.Contains(err.Error(), `security_headers "paranoid": want baseline or strict`) {
		t.Errorf("bad level: %v", err)
	}
	p := load(t, "url: http://x\nsecurity_headers: Strict\n")
	if p.SecurityHeaders != "strict" {
		t.Errorf("level not normalised: %q", p.SecurityHeaders)
	}
}
