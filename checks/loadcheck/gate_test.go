package loadcheck

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/testsvc"
)

// The seed's performance gate as one item: "Load testing with 100
// concurrent connections for 30 seconds", "Response time < 2s (p95)",
// "Error rate < 1%". Tests shorten the duration; everything else is the
// item as a checklist would write it.
const seedGate = `
url: %s
connections: 100
duration: %s
thresholds: ["p(95) < 2s", "error_rate < 0.01"]
`

func TestSeedGate(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	tests := []struct {
		name    string
		handler http.HandlerFunc
		url     string // instead of a server
		reason  string // "" = pass
		message string
	}{
		{
			name:    "healthy",
			handler: func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, `{"status":"ok"}`) },
		},
		{
			name: "5% of requests fail",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				if n.Add(1)%20 == 0 {
					http.Error(w, "unavailable", http.StatusServiceUnavailable)
					return
				}
				io.WriteString(w, `{"status":"ok"}`)
			},
			reason:  checks.ReasonAssertion,
			message: `requests failed), which breaks threshold "error_rate < 0.01"`,
		},
		{
			name: "slower than 2s",
			handler: func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-time.After(2100 * time.Millisecond):
				case <-r.Context().Done():
				}
			},
			reason:  checks.ReasonAssertion,
			message: `p(95) is 2.1`,
		},
		{
			name:    "down",
			url:     fmt.Sprintf("http://127.0.0.1:%d/", testsvc.FreePort(t)),
			reason:  checks.ReasonNoData,
			message: "(refused ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := tt.url
			if url == "" {
				url = serve(t, tt.handler)
			}
			p := mustProbe(t, fmt.Sprintf(seedGate, url, "1s"))
			obs, err := runProbe(t, p, 15*time.Second)
			if got := checks.Classify(err); got != tt.reason {
				t.Fatalf("reason = %q, want %q (err %v; obs %v)", got, tt.reason, err, obs)
			}
			if tt.reason == "" {
				if obs["requests"].(int) < 100 || obs["error_rate"] != 0.0 {
					t.Errorf("healthy gate: requests %v error_rate %v", obs["requests"], obs["error_rate"])
				}
				return
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("message %q does not say %q", err, tt.message)
			}
		})
	}
}
