package httpcheck

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/readyctl/readyctl/checks"
)

// limiter answers 429 once it has served allow requests (the main request
// included), the way a fixed-window limiter does within one window.
func limiter(allow int, headers bool) http.HandlerFunc {
	var mu sync.Mutex
	n := 0
	return func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		over := n > allow
		mu.Unlock()
		if !over {
			return
		}
		if headers {
			w.Header().Set("Retry-After", "30")
			w.Header().Set("RateLimit", "limit=5, remaining=0, reset=30")
			w.Header().Set("RateLimit-Policy", "5;w=60")
			w.Header().Set("X-RateLimit-Remaining", "0")
		}
		w.WriteHeader(http.StatusTooManyRequests)
	}
}

func TestRateLimit(t *testing.T) {
	tests := []struct {
		name        string
		handler     http.HandlerFunc
		cfg         string
		maxRequests int // on the server, the main request included
		until       any
		fails       []string
	}{
		{name: "limited after 5", handler: limiter(5, true), cfg: "{requests: 10, within: 100ms}", maxRequests: 11, until: 5},
		{name: "limited already on the main request (a second run inside the window)", handler: limiter(0, true), cfg: "{requests: 10}", maxRequests: 1, until: 1},
		{name: "limited on the first", handler: limiter(1, false), cfg: "{requests: 3}", maxRequests: 4, until: 1},
		{name: "limited at the last allowed request", handler: limiter(4, true), cfg: "{requests: 4, within: 40ms}", maxRequests: 5, until: 4},
		{name: "never limited", handler: limiter(1000, false), cfg: "{requests: 10, within: 100ms}", maxRequests: 11, until: nil,
			fails: []string{"rate_limit: no 429 answer after 10 requests within 100ms (statuses seen: 200 x10)"}},
		{name: "one short of the limit", handler: limiter(5, false), cfg: "{requests: 3, within: 30ms}", maxRequests: 4, until: nil,
			fails: []string{"rate_limit: no 429 answer after 3 requests within 30ms (statuses seen: 200 x3)"}},
		{name: "custom limited status", handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) },
			cfg: "{requests: 5, expect_status: 503}", maxRequests: 6, until: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, tt.handler)
			cfg := "url: " + srv.URL + "\nrate_limit: " + tt.cfg + "\n"
			if strings.Contains(tt.cfg, "503") {
				cfg += "status: [200, 503]\n"
			}
			obs, err := run(t, load(t, cfg))
			if n := srv.count(); n > tt.maxRequests {
				t.Errorf("%d requests, more than the %d allowed", n, tt.maxRequests)
			}
			// Paced requests may overtake each other on a slow machine:
			// the limit can then show one request early.
			if got := obs["requests_until_limited"]; got != tt.until {
				if n, ok := tt.until.(int); !ok || got != n-1 {
					t.Errorf("requests_until_limited = %v, want %v", got, tt.until)
				}
			}
			if len(tt.fails) > 0 {
				wantFail(t, err, tt.fails...)
				if n := srv.count(); n != tt.maxRequests {
					t.Errorf("never limited: %d requests, want exactly %d", n, tt.maxRequests)
				}
				return
			}
			wantPass(t, err)
			if sub(t, obs, "rate_limit", "limited") != true {
				t.Errorf("observation = %v", obs["rate_limit"])
			}
		})
	}
}

func TestRateLimitHeadersObserved(t *testing.T) {
	srv := newServer(t, limiter(2, true))
	obs, err := run(t, load(t, "url: "+srv.URL+"\nrate_limit: {requests: 5}\n"))
	wantPass(t, err)
	if got := sub(t, obs, "rate_limit", "retry_after"); got != "30" {
		t.Errorf("retry_after = %v", got)
	}
	h := sub(t, obs, "rate_limit", "headers").(map[string]any)
	for _, k := range []string{"retry-after", "ratelimit", "ratelimit-policy", "x-ratelimit-remaining"} {
		if h[k] == nil {
			t.Errorf("header %s not observed: %v", k, h)
		}
	}
	if sub(t, obs, "rate_limit", "status") != 429 {
		t.Errorf("status = %v", obs["rate_limit"])
	}
}

// TestRateLimitStopsAtLimit: with no pacing, launching stops at the first
// limited answer; only requests already in flight may follow.
func TestRateLimitStopsAtLimit(t *testing.T) {
	srv := newServer(t, limiter(3, false))
	obs, err := run(t, load(t, "url: "+srv.URL+"\nrate_limit: {requests: 200}\n"))
	wantPass(t, err)
	sent := sub(t, obs, "rate_limit", "requests_sent").(int)
	if n := srv.count(); n != sent+1 || sent > 3+maxInFlight {
		t.Errorf("server saw %d requests, probe sent %d: should stop within %d of the limit", n, sent, maxInFlight)
	}
}

// TestRateLimitBounded: the burst never exceeds the in-flight cap and is
// spread over within.
func TestRateLimitBounded(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { time.Sleep(5 * time.Millisecond) })
	p := load(t, "url: "+srv.URL+"\nrate_limit: {requests: 40}\n")
	_, err := run(t, p)
	failMessage(t, err)
	if srv.count() != 41 {
		t.Errorf("%d requests, want 41", srv.count())
	}
	if n := srv.maxInFlight(); n > maxInFlight || n < 2 {
		t.Errorf("%d requests in flight at once, want concurrency up to the cap of %d", n, maxInFlight)
	}

	srv2 := newServer(t, func(http.ResponseWriter, *http.Request) {})
	start := time.Now()
	_, err = run(t, load(t, "url: "+srv2.URL+"\nrate_limit: {requests: 5, within: 250ms}\n"))
	failMessage(t, err)
	// 5 requests at 0, 50, 100, 150, 200ms.
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("5 requests within 250ms took only %s: not spread", d)
	}
}

func TestRateLimitWithinMustFit(t *testing.T) {
	srv := newServer(t, func(http.ResponseWriter, *http.Request) {})
	p := load(t, "url: "+srv.URL+"\nrate_limit: {requests: 5, within: 1m}\n")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := p.Run(ctx)
	var f *checks.Failure
	if err == nil || errors.As(err, &f) || checks.Classify(err) != checks.ReasonConfig || !strings.Contains(err.Error(), "rate_limit: within 1m0s does not fit in the") {
		t.Fatalf("err = %v (reason %s), want a config error naming within (never retried, never timeout)", err, checks.Classify(err))
	}
	if srv.count() != 1 {
		t.Errorf("%d requests, want only the main one", srv.count())
	}
}

func TestRateLimitValidate(t *testing.T) {
	for cfg, want := range map[string]string{
		"rate_limit: {within: 1s}":                     "rate_limit.requests must be from 1 to 10000, got 0",
		"rate_limit: {requests: 20000}":                "got 20000",
		"rate_limit: {requests: 5, expect_status: 42}": "expect_status 42 is not an HTTP status",
		"method: POST\nrate_limit: {requests: 5}":      "rate_limit repeats the request, so method must be GET, HEAD or OPTIONS, not POST",
		"method: delete\nrate_limit: {requests: 5}":    "not DELETE",
	} {
		if _, err := loadErr("url: http://x\n" + cfg + "\n"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", cfg, err, want)
		}
	}
	p := load(t, "url: http://x\nrate_limit: {requests: 5}\n")
	if p.RateLimit.ExpectStatus != 429 {
		t.Errorf("expect_status default = %d", p.RateLimit.ExpectStatus)
	}

}

func TestRateLimitProgress(t *testing.T) {
	srv := newServer(t, limiter(3, false))
	p := load(t, "url: "+srv.URL+"\nrate_limit: {requests: 5, within: 50ms}\n")
	var mu sync.Mutex
	var lines []string
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ctx = checks.WithProgress(ctx, func(l string) {
		mu.Lock()
		lines = append(lines, l)
		mu.Unlock()
	})
	_, err := p.Run(ctx)
	wantPass(t, err)
	mu.Lock()
	defer mu.Unlock()
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "rate_limit: 1/5 requests answered") {
		t.Errorf("progress lines = %q", lines)
	}
}
