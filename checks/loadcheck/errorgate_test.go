package loadcheck

import (
	"errors"
	"io"
	"math"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/readyctl/readyctl/checks"
)

// TestDefaultErrorGate: without a threshold about errors, more than 1%
// failed requests fail the item; an explicit error threshold replaces the
// default.
func TestDefaultErrorGate(t *testing.T) {
	var n atomic.Int64
	every := func(k int64) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			if n.Add(1)%k == 0 {
				http.Error(w, "down", http.StatusServiceUnavailable)
				return
			}
			io.WriteString(w, "ok")
		}
	}
	always := serve(t, func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) })
	oneIn200 := serve(t, every(200))
	for _, c := range []struct {
		name, block string
		failure     string // "" = pass
	}{
		{"every request fails", "url: " + always + "\nrequests: 400", `error_rate is 1 (400 of 400 requests failed), which breaks threshold "error_rate <= 0.01 (default)"`},
		{"latency thresholds only", "url: " + always + "\nrequests: 400\nthresholds: [\"p(95) < 2s\"]", `breaks threshold "error_rate <= 0.01 (default)"`},
		{"0.5% fail", "url: " + oneIn200 + "\nrequests: 400\nconnections: 1", ""},
		{"explicit error threshold", "url: " + always + "\nrequests: 400\nthresholds: [\"error_rate <= 1\"]", ""},
		{"explicit errors threshold", "url: " + always + "\nrequests: 400\nthresholds: [\"errors < 1000\"]", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			n.Store(0)
			obs, err := runProbe(t, mustProbe(t, c.block), 10*time.Second)
			if c.failure == "" {
				if err != nil {
					t.Fatalf("want pass, got %v", err)
				}
				return
			}
			var f *checks.Failure
			if !errors.As(err, &f) || !strings.Contains(f.Message, c.failure) {
				t.Fatalf("got %v, want a failure containing %q (thresholds %v)", err, c.failure, obs["thresholds"])
			}
		})
	}
}

// TestRPSCountsAnswered: requests that got no response (the connection
// closed without an answer) do not count as throughput.
func TestRPSCountsAnswered(t *testing.T) {
	var n atomic.Int64
	url := serve(t, func(w http.ResponseWriter, _ *http.Request) {
		if n.Add(1)%2 == 0 {
			// Half the requests: the connection is dropped unanswered.
			hj, _ := w.(http.Hijacker)
			c, _, err := hj.Hijack()
			if err == nil {
				c.Close()
			}
			return
		}
		io.WriteString(w, "ok")
	})
	obs, _ := runProbe(t, mustProbe(t, "url: "+url+"\nconnections: 2\nrequests: 200\nthresholds: [\"error_rate <= 1\"]"), 10*time.Second)
	responses, _ := obs["responses"].(int)
	requests, _ := obs["requests"].(int)
	rps, _ := obs["rps"].(float64)
	d, _ := obs["duration"].(time.Duration)
	if responses == 0 || responses >= requests {
		t.Fatalf("responses %d of %d requests: the fake server should leave some unanswered", responses, requests)
	}
	if got := rps * d.Seconds(); math.Abs(got-float64(responses)) > 0.5 {
		t.Errorf("rps × duration = %.1f, want the %d answered requests (not the %d sent)", got, responses, requests)
	}
}
