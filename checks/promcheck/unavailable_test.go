package promcheck_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/readyctl/readyctl/internal/testsvc"
)

// Prometheus unreachable, answering 503 (a proxy in front of a restarting
// server) or hanging gives an error with a classified reason, quickly.
func TestUnavailable(t *testing.T) {
	t.Parallel()
	refused := fmt.Sprintf("http://127.0.0.1:%d", testsvc.FreePort(t))
	unavailable := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
	}))
	t.Cleanup(unavailable.Close)
	release := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release); hanging.Close() })

	for _, tc := range []struct {
		name, block string
		limit       time.Duration
		want        want
	}{
		{"refused", "url: " + refused + "\nquery: up", 10 * time.Second, want{Status: "error", Reason: "connection_refused",
			Contains: []string{`query "up": `, "connection refused"}}},
		{"refused ready", "url: " + refused + "\nready: true", 10 * time.Second, want{Status: "error", Reason: "connection_refused"}},
		{"503 on query", "url: " + unavailable.URL + "\nquery: up", 10 * time.Second, want{Status: "error", Reason: "unavailable",
			Contains: []string{`query "up": ` + unavailable.URL + "/api/v1/query answered HTTP 503 Service Unavailable: Service Unavailable"}}},
		{"503 on targets", "url: " + unavailable.URL + "\ntargets: {}", 10 * time.Second, want{Status: "error", Reason: "unavailable",
			Contains: []string{"GET /api/v1/targets: "}}},
		{"503 on rules", "url: " + unavailable.URL + "\nrules: {}", 10 * time.Second, want{Status: "error", Reason: "unavailable"}},
		{"503 on alerts", "url: " + unavailable.URL + "\nalerts: {}", 10 * time.Second, want{Status: "error", Reason: "unavailable"}},
		// /-/ready answering 503 is the answer to the question asked.
		{"503 on ready", "url: " + unavailable.URL + "\nready: true\nquery: up", 10 * time.Second, want{Status: "fail", Reason: "not_ready",
			Contains: []string{"GET /-/ready answered 503 Service Unavailable, want 200"}, Holds: []string{`ready == false`}}},
		{"hanging, per-request timeout", "url: " + hanging.URL + "\nquery: up\ntimeout: 200ms", 10 * time.Second,
			want{Status: "error", Reason: "timeout", Contains: []string{`query "up": no answer within timeout 200ms: `}}},
		{"hanging, item deadline", "url: " + hanging.URL + "\nquery: up\ntimeout: 0s", 300 * time.Millisecond,
			want{Status: "error", Reason: "timeout", NotContains: []string{"within timeout"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := runTimeout(t, tc.block, tc.limit)
			tc.want.check(t, o)
			if o.Took > 2*time.Second {
				t.Errorf("took %s, want well under 2s", o.Took)
			}
		})
	}
}
