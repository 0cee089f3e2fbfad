package httpcheck

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/readyctl/readyctl/checks"
)

func TestMainRequest(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `{"status":"degraded"}`)
	})
	obs, err := run(t, load(t, "url: "+srv.URL+"/health\nstatus: 200\n"))
	wantFail(t, err, "status 503, expected 200")
	if obs["status"] != 503 || obs["json"].(map[string]any)["status"] != "degraded" {
		t.Errorf("observations = %v", obs)
	}
	if srv.count() != 1 {
		t.Errorf("%d requests without any block, want 1", srv.count())
	}
}

// wellBehaved is a service that gets every web-security block right.
func wellBehaved(limitAfter int) http.HandlerFunc {
	var mu sync.Mutex
	n := 0
	page := template.Must(template.New("p").Parse(`<p>{{.}}</p>`))
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Server", "nginx")
		if id := r.Header.Get("X-Request-ID"); id != "" {
			h.Set("X-Request-ID", id)
		}
		if r.Method == http.MethodOptions {
			if r.Header.Get("Origin") == "https://app.example.com" {
				h.Set("Access-Control-Allow-Origin", "https://app.example.com")
				h.Set("Access-Control-Allow-Credentials", "true")
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
		mu.Lock()
		n++
		over := n > limitAfter
		mu.Unlock()
		if over {
			h.Set("Retry-After", "10")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		if r.Header.Get("Authorization") != "Bearer good-token" {
			h.Set("WWW-Authenticate", `Bearer realm="api"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		h.Set("Set-Cookie", "session=x; Secure; HttpOnly; SameSite=Strict")
		_ = page.Execute(w, r.URL.Query().Get("q"))
	}
}

const allBlocks = `
security_headers: strict
https_redirect: true
cors: {origin: https://app.example.com, allowed: true, credentials: true}
request_id: {header: X-Request-ID}
auth_required: true
injection: {params: [q, sort]}
rate_limit: {requests: 20, within: 200ms}
`

func TestAllBlocksTogether(t *testing.T) {
	target := newCounting(t, true, wellBehaved(12))
	tu, _ := url.Parse(target.URL)
	plain := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://"+tu.Host+r.URL.RequestURI(), http.StatusMovedPermanently)
	})
	cfg := fmt.Sprintf("url: %s/api/search\nstatus: 200\nmax_latency: 5s\nbearer_token: good-token\ntls: {ca_file: %q}\nhttp_url: %s/api/search\n%s",
		target.URL, caFile(t, target), plain.URL, allBlocks)
	obs, err := run(t, load(t, cfg))
	wantPass(t, err)
	// The limiter counts all but preflights: main 1 + request_id 1 +
	// auth 3 + injection 2 = 7, so burst requests 1-5 pass (8-12) and the
	// 6th is limited (5 when a slow machine lets two paced requests
	// overtake each other).
	if got, _ := obs["requests_until_limited"].(int); got != 6 && got != 5 {
		t.Errorf("requests_until_limited = %v, want 6", obs["requests_until_limited"])
	}
	if n, max := target.count(), 1+2+1+3+2+20; n > max {
		t.Errorf("https side got %d requests, more than the %d configured", n, max)
	}
	if plain.count() != 1 {
		t.Errorf("plain side got %d requests, want 1", plain.count())
	}
	for _, k := range []string{"security_headers", "https_redirect", "cors", "request_id", "auth_required", "injection"} {
		if sub(t, obs, k, "ok") != true {
			t.Errorf("%s not ok: %v", k, obs[k])
		}
	}
	if obs["status"] != 200 {
		t.Errorf("main status observation = %v", obs["status"])
	}
}

func TestFailuresFromSeveralBlocksJoined(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", "Apache/2.4.57")
		w.WriteHeader(http.StatusAccepted)
	})
	cfg := "url: " + srv.URL + "\nstatus: 200\nsecurity_headers: baseline\nrequest_id: {}\nauth_required: true\n"
	_, err := run(t, load(t, cfg))
	msg := wantFail(t, err,
		"status 202, expected 200; security_headers: Strict-Transport-Security missing",
		`; security_headers: Server "Apache/2.4.57" leaks a version; `,
		"; request_id: sent X-Request-ID ",
		"; auth_required: the request without credentials was not refused: status 202 (want 401 or 403)",
	)
	if strings.Count(msg, "auth_required:") != 3 {
		t.Errorf("want each refused attempt listed: %s", msg)
	}
	if n := srv.count(); n != 1+1+3 {
		t.Errorf("%d requests, want 5", n)
	}
}

// TestBlockErrorKeepsFailures: a block that cannot check makes the item an
// error, and the failures the other blocks found are still said.
func TestBlockErrorKeepsFailures(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			hj, _ := w.(http.Hijacker)
			conn, _, _ := hj.Hijack()
			conn.Close()
		}
	})
	obs, err := run(t, load(t, "url: "+srv.URL+"\nsecurity_headers: baseline\ncors: {origin: https://app.example.com, allowed: true}\n"))
	if err == nil || checks.Classify(err) == checks.ReasonAssertion {
		t.Fatalf("want an error that is not a failure, got %v", err)
	}
	if !strings.Contains(err.Error(), "cors: OPTIONS "+srv.URL) || !strings.Contains(err.Error(), "also failed: security_headers: Strict-Transport-Security missing") {
		t.Errorf("message = %v", err)
	}
	if obs["security_headers"] == nil || obs["status"] != 200 {
		t.Errorf("observations lost: %v", obs)
	}
}

// TestBlocksHonourDeadline: a target that stalls on the extra requests
// cannot hold the probe past the item's deadline.
func TestBlocksHonourDeadline(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Request-ID") != "" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
	})
	p := load(t, "url: "+srv.URL+"\nrequest_id: {}\nauth_required: true\n")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := p.Run(ctx)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Run took %s past a 300ms deadline", d)
	}
	if checks.Classify(err) != checks.ReasonTimeout {
		t.Errorf("err = %v (reason %s), want timeout", err, checks.Classify(err))
	}
	if n := srv.count(); n != 2 {
		t.Errorf("%d requests: blocks after the deadline must not run", n)
	}
}
