package httpcheck

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/readyctl/readyctl/internal/testsvc"
)

func TestHTTPSRedirect(t *testing.T) {
	// The https side is a real TLS server; the plain side redirects to it.
	target := newCounting(t, true, func(w http.ResponseWriter, r *http.Request) {})
	tu, _ := url.Parse(target.URL)
	sameHost := "https://" + tu.Host + "/health"
	otherHost := "https://localhost:" + tu.Port() + "/health"

	tests := []struct {
		name      string
		status    int
		location  string
		temporary bool
		fails     []string
	}{
		{name: "301 to https same host", status: 301, location: sameHost},
		{name: "308 to https same host", status: 308, location: sameHost},
		{name: "302 refused", status: 302, location: sameHost,
			fails: []string{"answered 302, a temporary redirect; want 301 or 308 (allow_temporary accepts 302/307)"}},
		{name: "307 refused", status: 307, location: sameHost, fails: []string{"answered 307, a temporary redirect"}},
		{name: "302 with allow_temporary", status: 302, location: sameHost, temporary: true},
		{name: "307 with allow_temporary", status: 307, location: sameHost, temporary: true},
		{name: "no redirect", status: 200, fails: []string{"answered 200, want a 301 or 308 redirect to https"}},
		{name: "no redirect with allow_temporary", status: 200, temporary: true, fails: []string{"answered 200, want a 301, 302, 307 or 308 redirect to https"}},
		{name: "redirect to http", status: 301, location: "http://" + tu.Host + "/health",
			fails: []string{fmt.Sprintf("redirects to %q, which is not https", "http://"+tu.Host+"/health")}},
		{name: "relative redirect stays http", status: 301, location: "/secure", fails: []string{"/secure\", which is not https"}},
		{name: "redirect to another host", status: 301, location: otherHost,
			fails: []string{fmt.Sprintf("redirects to %q, a different host than \"127.0.0.1\"", otherHost)}},
		{name: "no Location", status: 301, fails: []string{"answered 301 without a Location header"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plain := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.location != "" {
					w.Header().Set("Location", tt.location)
				}
				w.WriteHeader(tt.status)
			})
			before := target.count()
			cfg := fmt.Sprintf("url: %s/health\ntls: {ca_file: %q}\nbearer_token: s3cr3t-token\nheaders: {Cookie: sid=s3cr3t, Accept: text/html}\nhttps_redirect: true\nhttp_url: %s/health\n", target.URL, caFile(t, target), plain.URL)
			if tt.temporary {
				cfg += "allow_temporary: true\n"
			}
			obs, err := run(t, load(t, cfg))
			if n := plain.count(); n != 1 {
				t.Errorf("plain-http side got %d requests, want 1", n)
			}
			if n := target.count() - before; n != 1 {
				t.Errorf("https side got %d requests, want only the main one", n)
			}
			r := plain.sent()[0]
			if r.Header.Get("Authorization") != "" || r.Header.Get("Cookie") != "" {
				t.Errorf("credentials sent over plain http: %v", r.Header)
			}
			if r.Header.Get("Accept") != "text/html" || r.Method != http.MethodGet {
				t.Errorf("plain request = %s %v, want GET with the configured headers", r.Method, r.Header)
			}
			o := sub(t, obs, "https_redirect").(map[string]any)
			if o["status"] != tt.status || o["url"] != plain.URL+"/health" {
				t.Errorf("observation = %v", o)
			}
			if len(tt.fails) == 0 {
				wantPass(t, err)
				if o["ok"] != true {
					t.Errorf("ok not true: %v", o)
				}
				return
			}
			wants := append([]string{"https_redirect: " + plain.URL + "/health"}, tt.fails...)
			wantFail(t, err, wants...)
		})
	}
}

func TestHTTPSRedirectNothingListening(t *testing.T) {
	target := newServer(t, func(w http.ResponseWriter, r *http.Request) {})
	port := testsvc.FreePort(t)
	p := load(t, fmt.Sprintf("url: %s\nhttps_redirect: true\nhttp_url: http://127.0.0.1:%d/\n", target.URL, port))
	_, err := run(t, p)
	wantFail(t, err, fmt.Sprintf("https_redirect: http://127.0.0.1:%d/ did not answer (", port), "want a 301 or 308 redirect to https")
}

func TestPlainURL(t *testing.T) {
	tests := []struct{ url, httpURL, want, err string }{
		{url: "https://api.example.com/v1/me?x=1", want: "http://api.example.com/v1/me?x=1"},
		{url: "https://api.example.com:443/", want: "http://api.example.com/"},
		{url: "https://[::1]/health", want: "http://[::1]/health"},
		{url: "http://api.example.com/", want: "http://api.example.com/"},
		{url: "https://api.example.com:8443/", httpURL: "http://api.example.com:8080/", want: "http://api.example.com:8080/"},
		{url: "https://api.example.com:8443/", err: `has port 8443, so the plain-http URL cannot be guessed: set http_url`},
		{url: "https://api.example.com/", httpURL: "https://api.example.com/", err: "must be an http:// URL"},
	}
	for _, tt := range tests {
		cfg := "url: " + tt.url + "\nhttps_redirect: true\n"
		if tt.httpURL != "" {
			cfg += "http_url: " + tt.httpURL + "\n"
		}
		p, err := loadErr(cfg)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: err = %v, want %q", tt.url, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.url, err)
		}
		if got, _ := p.plainURL(); got != tt.want {
			t.Errorf("%s: plain URL %q, want %q", tt.url, got, tt.want)
		}
	}
	for _, cfg := range []string{"url: http://x\nhttp_url: http://x\n", "url: http://x\nallow_temporary: true\n"} {
		if _, err := loadErr(cfg); err == nil || !strings.Contains(err.Error(), "only applies with https_redirect: true") {
			t.Errorf("%q: err = %v", cfg, err)
		}
	}
}
