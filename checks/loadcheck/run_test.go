package loadcheck

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/testsvc"
)

// serve starts a loopback HTTP server for the test.
func serve(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// counting answers 200 and counts the requests it received.
func counting(n *atomic.Int64) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		n.Add(1)
		io.WriteString(w, "ok\n")
	}
}

func runProbe(t *testing.T, p *Probe, limit time.Duration) (checks.Observations, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), limit)
	defer cancel()
	return p.Run(ctx)
}

func dur(t *testing.T, obs checks.Observations, name string) time.Duration {
	t.Helper()
	d, ok := obs[name].(time.Duration)
	if !ok {
		t.Fatalf("observation %s = %#v, want a time.Duration", name, obs[name])
	}
	return d
}

func thresholdObs(t *testing.T, obs checks.Observations) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, v := range obs["thresholds"].([]any) {
		m := v.(map[string]any)
		out[m["threshold"].(string)] = m
	}
	return out
}

func failure(t *testing.T, err error) *checks.Failure {
	t.Helper()
	var f *checks.Failure
	if !errors.As(err, &f) {
		t.Fatalf("want a checks.Failure, got %v", err)
	}
	return f
}

func TestFastServerPasses(t *testing.T) {
	var n atomic.Int64
	url := serve(t, counting(&n))
	p := mustProbe(t, fmt.Sprintf(`
url: %s
connections: 8
duration: 1s
thresholds: ["p(95) < 2s", "p95 < 2s", "p(99) < 3s", "avg < 500ms", "max < 5s", "med < 1s", "min < 1s", "error_rate < 0.01", "rps > 200"]
`, url))
	obs, err := runProbe(t, p, 10*time.Second)
	if err != nil {
		t.Fatalf("Run: %v (obs %v)", err, obs)
	}
	reqs := obs["requests"].(int)
	if reqs < 200 || int64(reqs) > n.Load() {
		t.Errorf("requests = %d, server saw %d", reqs, n.Load())
	}
	if obs["errors"].(int) != 0 || obs["error_rate"].(float64) != 0 {
		t.Errorf("errors = %v, error_rate = %v", obs["errors"], obs["error_rate"])
	}
	if rps := obs["rps"].(float64); rps < 200 {
		t.Errorf("rps = %g", rps)
	}
	p50, p90, p95, p99, max, mean := dur(t, obs, "p50"), dur(t, obs, "p90"), dur(t, obs, "p95"), dur(t, obs, "p99"), dur(t, obs, "max"), dur(t, obs, "mean")
	if !(0 < p50 && p50 <= p90 && p90 <= p95 && p95 <= p99 && p99 <= max && mean <= max) {
		t.Errorf("percentiles out of order: p50 %s p90 %s p95 %s p99 %s max %s mean %s", p50, p90, p95, p99, max, mean)
	}
	if d := dur(t, obs, "duration"); d < time.Second || d > 2*time.Second {
		t.Errorf("duration = %s, want about 1s", d)
	}
	if sc := obs["status_counts"].(map[string]any); sc["200"] != reqs || len(sc) != 1 {
		t.Errorf("status_counts = %v, want {200: %d}", sc, reqs)
	}
	if ek := obs["error_kinds"].(map[string]any); len(ek) != 0 {
		t.Errorf("error_kinds = %v, want empty", ek)
	}
	if obs["dropped"] != nil {
		t.Errorf("dropped = %v in the closed model, want nil", obs["dropped"])
	}
	ths := thresholdObs(t, obs)
	if len(ths) != 9 {
		t.Fatalf("thresholds = %v", obs["thresholds"])
	}
	for name, th := range ths {
		if th["ok"] != true {
			t.Errorf("threshold %s = %v, want ok", name, th)
		}
	}
	if v, ok := ths["p(95) < 2s"]["value"].(time.Duration); !ok || v != p95 {
		t.Errorf("p(95) threshold value = %v, want p95 %s", ths["p(95) < 2s"]["value"], p95)
	}
	if v, ok := ths["error_rate < 0.01"]["value"].(float64); !ok || v != 0 {
		t.Errorf("error_rate threshold value = %v", ths["error_rate < 0.01"]["value"])
	}
}

// One request in ten answers 500: the error rate is exactly 0.1 on an
// exact request count, and the threshold fails saying so.
func TestErrorRateFails(t *testing.T) {
	var n atomic.Int64
	url := serve(t, func(w http.ResponseWriter, _ *http.Request) {
		if n.Add(1)%10 == 0 {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		io.WriteString(w, "ok\n")
	})
	p := mustProbe(t, fmt.Sprintf(`
url: %s
connections: 4
requests: 1000
thresholds: ["error_rate < 0.01", "p(95) < 2s"]
`, url))
	obs, err := runProbe(t, p, 20*time.Second)
	f := failure(t, err)
	if f.Reason != checks.ReasonAssertion {
		t.Errorf("reason = %q", f.Reason)
	}
	want := `error_rate is 0.1 (100 of 1000 requests failed), which breaks threshold "error_rate < 0.01"`
	if f.Message != want {
		t.Errorf("message:\n got %s\nwant %s", f.Message, want)
	}
	if obs["requests"] != 1000 || obs["errors"] != 100 || obs["error_rate"] != 0.1 {
		t.Errorf("requests %v errors %v error_rate %v", obs["requests"], obs["errors"], obs["error_rate"])
	}
	sc := obs["status_counts"].(map[string]any)
	if sc["200"] != 900 || sc["500"] != 100 {
		t.Errorf("status_counts = %v", sc)
	}
	if ek := obs["error_kinds"].(map[string]any); ek["status"] != 100 {
		t.Errorf("error_kinds = %v", ek)
	}
	ths := thresholdObs(t, obs)
	if th := ths["error_rate < 0.01"]; th["ok"] != false || th["value"] != 0.1 {
		t.Errorf("error_rate threshold = %v", th)
	}
	if th := ths["p(95) < 2s"]; th["ok"] != true {
		t.Errorf("p(95) threshold = %v", th)
	}
}

func TestSlowServerFailsP95(t *testing.T) {
	url := serve(t, func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(60 * time.Millisecond)
		io.WriteString(w, "slow\n")
	})
	p := mustProbe(t, fmt.Sprintf(`
url: %s
connections: 5
duration: 700ms
thresholds: ["p(95) < 20ms", "error_rate < 0.01"]
`, url))
	obs, err := runProbe(t, p, 10*time.Second)
	f := failure(t, err)
	p95 := dur(t, obs, "p95")
	if p95 < 60*time.Millisecond || p95 > 500*time.Millisecond {
		t.Errorf("p95 = %s, want about 60ms", p95)
	}
	want := fmt.Sprintf(`p(95) is %s, which breaks threshold "p(95) < 20ms"`, fmtDuration(p95))
	if f.Message != want {
		t.Errorf("message:\n got %s\nwant %s", f.Message, want)
	}
	th := thresholdObs(t, obs)["p(95) < 20ms"]
	if th["ok"] != false || th["value"] != p95 {
		t.Errorf("threshold = %v, want not ok with value %s", th, p95)
	}
}

// stallingServer answers at once, except between from and to after it
// started, when it holds every request until to (or until the client
// gives up, if hang is set).
func stallingServer(t *testing.T, from, to time.Duration, hang bool) string {
	t.Helper()
	start := time.Now()
	return serve(t, func(w http.ResponseWriter, r *http.Request) {
		since := time.Since(start)
		if since >= from && since < to {
			if hang {
				<-r.Context().Done()
				return
			}
			select {
			case <-time.After(to - since):
			case <-r.Context().Done():
				return
			}
		}
		io.WriteString(w, "ok\n")
	})
}

func TestStallingServer(t *testing.T) {
	t.Parallel()
	// A 600ms stall in a 2s run. The open model keeps scheduling requests
	// during the stall and counts their wait: about 30% of them are late
	// by up to 600ms. The closed model sends only one request per
	// connection into the stall, so its p95 stays small: this is the
	// coordinated omission the open model exists to avoid.
	t.Run("open model reports the stall", func(t *testing.T) {
		t.Parallel()
		url := stallingServer(t, 500*time.Millisecond, 1100*time.Millisecond, false)
		p := mustProbe(t, fmt.Sprintf("url: %s\nconnections: 20\nrate: 200\nduration: 2s\nthresholds: [\"p(95) < 100ms\"]", url))
		obs, err := runProbe(t, p, 10*time.Second)
		failure(t, err)
		if p95 := dur(t, obs, "p95"); p95 < 300*time.Millisecond {
			t.Errorf("open model p95 = %s, want the stall (>= 300ms) to show", p95)
		}
		if p90 := dur(t, obs, "p90"); p90 < 200*time.Millisecond {
			t.Errorf("open model p90 = %s, want the stall to show", p90)
		}
		if reqs := obs["requests"].(int); reqs < 390 || reqs > 401 {
			t.Errorf("requests = %d, want the 400 scheduled", reqs)
		}
		if obs["dropped"] != 0 {
			t.Errorf("dropped = %v", obs["dropped"])
		}
	})
	t.Run("closed model hides it from p95", func(t *testing.T) {
		t.Parallel()
		url := stallingServer(t, 500*time.Millisecond, 1100*time.Millisecond, false)
		p := mustProbe(t, fmt.Sprintf("url: %s\nconnections: 20\nduration: 2s", url))
		obs, err := runProbe(t, p, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if p95 := dur(t, obs, "p95"); p95 > 100*time.Millisecond {
			t.Errorf("closed model p95 = %s; expected the stall to be mostly invisible here", p95)
		}
		if max := dur(t, obs, "max"); max < 300*time.Millisecond {
			t.Errorf("closed model max = %s, want the stall in max", max)
		}
	})
	// A server that never answers during the stall: the closed model's
	// requests time out and are reported as errors, with the time they
	// waited as their latency.
	t.Run("closed model does not hide errors", func(t *testing.T) {
		t.Parallel()
		url := stallingServer(t, 300*time.Millisecond, 1300*time.Millisecond, true)
		p := mustProbe(t, fmt.Sprintf("url: %s\nconnections: 10\nduration: 1500ms\ntimeout: 200ms\nthresholds: [\"error_rate == 0\"]", url))
		obs, err := runProbe(t, p, 10*time.Second)
		f := failure(t, err)
		ek := obs["error_kinds"].(map[string]any)
		timeouts, _ := ek["timeout"].(int)
		if timeouts < 20 {
			t.Errorf("error_kinds = %v, want at least 20 timeouts (10 connections x 5 timeouts)", ek)
		}
		if obs["errors"].(int) != timeouts {
			t.Errorf("errors = %v, timeouts = %d", obs["errors"], timeouts)
		}
		if !strings.Contains(f.Message, fmt.Sprintf("(%d of %d requests failed)", timeouts, obs["requests"])) {
			t.Errorf("message = %s", f.Message)
		}
		if max := dur(t, obs, "max"); max < 200*time.Millisecond {
			t.Errorf("max = %s, want the timed-out wait (200ms) recorded", max)
		}
	})
	// The open model with too few connections for a server that hangs:
	// due requests that never got a connection are dropped, and counted.
	t.Run("open model counts dropped requests", func(t *testing.T) {
		t.Parallel()
		url := stallingServer(t, 0, time.Hour, true)
		p := mustProbe(t, fmt.Sprintf("url: %s\nconnections: 2\nrate: 100\nduration: 1s\ntimeout: 300ms", url))
		obs, err := runProbe(t, p, 10*time.Second)
		if checks.Classify(err) != checks.ReasonNoData {
			t.Fatalf("err = %v, want no_data", err)
		}
		dropped := obs["dropped"].(int)
		if dropped < 80 || obs["requests"].(int) != 100 {
			t.Errorf("dropped = %d of requests %v; want most of the 100 due", dropped, obs["requests"])
		}
		if ek := obs["error_kinds"].(map[string]any); ek["dropped"] != dropped || ek["timeout"].(int) < 4 {
			t.Errorf("error_kinds = %v", ek)
		}
	})
}

func TestRefusedPort(t *testing.T) {
	port := testsvc.FreePort(t)
	p := mustProbe(t, fmt.Sprintf("url: http://127.0.0.1:%d/\nconnections: 2\nduration: 300ms\nthresholds: [\"p(95) < 2s\"]", port))
	obs, err := runProbe(t, p, 10*time.Second)
	if checks.Classify(err) != checks.ReasonNoData {
		t.Fatalf("err = %v (%s), want reason no_data", err, checks.Classify(err))
	}
	if !strings.Contains(err.Error(), "no request to http://127.0.0.1:") || !strings.Contains(err.Error(), "(refused ") {
		t.Errorf("message = %q", err)
	}
	ek := obs["error_kinds"].(map[string]any)
	if ek["refused"] == nil || ek["refused"] != obs["requests"] || obs["requests"] != obs["errors"] {
		t.Errorf("error_kinds = %v, requests %v, errors %v", ek, obs["requests"], obs["errors"])
	}
	if obs["p95"] != nil || obs["error_rate"] != 1.0 {
		t.Errorf("p95 = %v, error_rate = %v", obs["p95"], obs["error_rate"])
	}
	th := thresholdObs(t, obs)["p(95) < 2s"]
	if th["ok"] != false || th["value"] != nil {
		t.Errorf("threshold with no data = %v, want not ok and no value", th)
	}
}

func TestRequestsCountIsExact(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, extra string }{
		{"closed", "connections: 7"},
		{"open", "connections: 10\nrate: 1000"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var n atomic.Int64
			url := serve(t, counting(&n))
			// Counting is the point, not errors (the open model may drop
			// requests on a loaded machine).
			p := mustProbe(t, fmt.Sprintf("url: %s\nrequests: 777\nthresholds: [\"errors <= 777\"]\n%s", url, tt.extra))
			obs, err := runProbe(t, p, 20*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if obs["requests"] != 777 || n.Load() != 777 {
				t.Errorf("requests = %v, server saw %d, want 777; %v", obs["requests"], n.Load(), obs)
			}
		})
	}
}

func TestWarmupIsNotRecorded(t *testing.T) {
	var n atomic.Int64
	url := serve(t, counting(&n))
	p := mustProbe(t, fmt.Sprintf("url: %s\nconnections: 3\nwarmup: 300ms\nrequests: 50", url))
	obs, err := runProbe(t, p, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if obs["requests"] != 50 || n.Load() <= 60 {
		t.Errorf("requests = %v, server saw %d: want 50 measured after a warmup of many more", obs["requests"], n.Load())
	}
}

func TestRequestOptions(t *testing.T) {
	type seen struct{ method, host, auth, body, ua, enc string }
	var mu sync.Mutex
	var got []seen
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, seen{r.Method, r.Host, r.Header.Get("X-Token"), string(b), r.Header.Get("User-Agent"), r.Header.Get("Accept-Encoding")})
		mu.Unlock()
	})
	p := mustProbe(t, fmt.Sprintf(`
url: %s
method: POST
headers: {X-Token: abc, Host: api.example.test}
body: '{"ping": true}'
connections: 2
requests: 10
`, url))
	if _, err := runProbe(t, p, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if len(got) != 10 {
		t.Fatalf("server saw %d requests", len(got))
	}
	for _, s := range got {
		if s != (seen{"POST", "api.example.test", "abc", `{"ping": true}`, "readyctl-load", ""}) {
			t.Fatalf("request = %+v", s)
		}
	}
}

func TestOKStatusOption(t *testing.T) {
	url := serve(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNotFound) })
	for _, tt := range []struct {
		extra  string
		errors int
	}{
		{"", 0},                 // default: below 500 is success
		{"ok_status: 2xx", 20},  // 404 is not 2xx
		{"ok_status: [404]", 0}, // expected
	} {
		p := mustProbe(t, fmt.Sprintf("url: %s\nconnections: 2\nrequests: 20\nthresholds: [\"errors <= 20\"]\n%s", url, tt.extra))
		obs, err := runProbe(t, p, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if obs["errors"] != tt.errors {
			t.Errorf("%q: errors = %v, want %d", tt.extra, obs["errors"], tt.errors)
		}
	}
}

func TestTimeoutOption(t *testing.T) {
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(400 * time.Millisecond):
		case <-r.Context().Done():
		}
	})
	p := mustProbe(t, fmt.Sprintf("url: %s\nconnections: 2\nrequests: 4\ntimeout: 100ms", url))
	start := time.Now()
	obs, err := runProbe(t, p, 10*time.Second)
	if checks.Classify(err) != checks.ReasonNoData {
		t.Fatalf("err = %v, want no_data: every request timed out", err)
	}
	if took := time.Since(start); took > 350*time.Millisecond {
		t.Errorf("4 requests on 2 connections with a 100ms timeout took %s", took)
	}
	if ek := obs["error_kinds"].(map[string]any); ek["timeout"] != 4 {
		t.Errorf("error_kinds = %v", ek)
	}
	if p50 := dur(t, obs, "p50"); p50 < 100*time.Millisecond || p50 > 200*time.Millisecond {
		t.Errorf("p50 = %s, want the 100ms timeout", p50)
	}
}

func TestTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || r.ProtoMajor != 1 {
			// HTTP/2 would multiplex every worker onto one connection.
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	srv.EnableHTTP2 = true
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshake errors are the point
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, tls string
		reason    string
		kind      string
	}{
		{"untrusted", "", checks.ReasonNoData, "tls"},
		{"ca_file", "tls: {ca_file: " + ca + "}", "", ""},
		{"insecure_skip_verify", "tls: {insecure_skip_verify: true}", "", ""},
		{"wrong server_name", "tls: {ca_file: " + ca + ", server_name: other.test}", checks.ReasonNoData, "tls"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := mustProbe(t, fmt.Sprintf("url: %s\nconnections: 2\nrequests: 10\nok_status: 2xx\n%s", srv.URL, tt.tls))
			obs, err := runProbe(t, p, 10*time.Second)
			if got := checks.Classify(err); got != tt.reason {
				t.Fatalf("reason = %q (%v), want %q", got, err, tt.reason)
			}
			if tt.kind != "" {
				if ek := obs["error_kinds"].(map[string]any); ek[tt.kind] != 10 {
					t.Errorf("error_kinds = %v", ek)
				}
			} else if obs["errors"] != 0 {
				t.Errorf("errors = %v, status %v", obs["errors"], obs["status_counts"])
			}
		})
	}
	p := mustProbe(t, "url: https://127.0.0.1/\nduration: 1s\ntls: {ca_file: /nonexistent/ca.pem}")
	if _, err := runProbe(t, p, 5*time.Second); err == nil || !strings.Contains(err.Error(), "ca_file") {
		t.Errorf("missing ca_file: err = %v", err)
	}
}

func TestCancelStopsAtOnce(t *testing.T) {
	var n atomic.Int64
	url := serve(t, counting(&n))
	p := mustProbe(t, fmt.Sprintf("url: %s\nconnections: 4\nduration: 30s", url))
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(400*time.Millisecond, cancel)
	start := time.Now()
	obs, err := p.Run(ctx)
	if took := time.Since(start); took > time.Second {
		t.Errorf("Run took %s after cancel at 400ms", took)
	}
	if !errors.Is(err, context.Canceled) || checks.Classify(err) != checks.ReasonCanceled {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if obs == nil || obs["requests"].(int) == 0 || obs["p95"] == nil {
		t.Errorf("observations of the partial run missing: %v", obs)
	}
	if d := dur(t, obs, "duration"); d < 300*time.Millisecond || d > time.Second {
		t.Errorf("duration = %s, want the 400ms measured", d)
	}
}

func TestItemDeadline(t *testing.T) {
	var n atomic.Int64
	url := serve(t, counting(&n))
	t.Run("too short for the duration is refused up front", func(t *testing.T) {
		p := mustProbe(t, fmt.Sprintf("url: %s\nduration: 5s\nwarmup: 1s", url))
		before := n.Load()
		obs, err := runProbe(t, p, 2*time.Second)
		if checks.Classify(err) != checks.ReasonTimeout || obs != nil || n.Load() != before {
			t.Fatalf("err = %v, obs %v, sent %d: want a timeout refusal before any load", err, obs, n.Load()-before)
		}
		if !strings.Contains(err.Error(), "needs 6s (warmup 1s + duration 5s)") {
			t.Errorf("message = %q", err)
		}
	})
	t.Run("requests in flight at the end are cut before the deadline", func(t *testing.T) {
		// The server hangs from 700ms on; the 1s run's last requests
		// would wait out their 10s timeout, past the item's 1.5s.
		url := stallingServer(t, 700*time.Millisecond, time.Hour, true)
		p := mustProbe(t, fmt.Sprintf("url: %s\nconnections: 3\nduration: 1s\nthresholds: [\"errors == 0\"]", url))
		start := time.Now()
		obs, err := runProbe(t, p, 1500*time.Millisecond)
		if took := time.Since(start); took > 1500*time.Millisecond {
			t.Errorf("took %s", took)
		}
		f := failure(t, err) // decided, not lost to the deadline
		if ek := obs["error_kinds"].(map[string]any); ek["timeout"] != 3 {
			t.Errorf("error_kinds = %v, want the 3 hung requests as timeouts", ek)
		}
		if f.Message != `errors is 3, which breaks threshold "errors == 0"` {
			t.Errorf("message = %s", f.Message)
		}
	})
	t.Run("deadline during a requests run returns what was measured", func(t *testing.T) {
		p := mustProbe(t, fmt.Sprintf("url: %s\nconnections: 2\nrequests: 100000000", url))
		start := time.Now()
		obs, err := runProbe(t, p, 300*time.Millisecond)
		if took := time.Since(start); took > time.Second {
			t.Errorf("took %s after a 300ms deadline", took)
		}
		if checks.Classify(err) != checks.ReasonTimeout {
			t.Fatalf("err = %v, want timeout", err)
		}
		if obs["requests"].(int) == 0 || obs["errors"].(int) != 0 {
			t.Errorf("requests = %v errors = %v: an interrupted request is not an error", obs["requests"], obs["errors"])
		}
	})
}

func TestMaxDurationStopsRequestsRun(t *testing.T) {
	var n atomic.Int64
	url := serve(t, counting(&n))
	p := mustProbe(t, fmt.Sprintf("url: %s\nconnections: 2\nrequests: 100000000\nmax_duration: 300ms", url))
	start := time.Now()
	obs, err := runProbe(t, p, 10*time.Second)
	if took := time.Since(start); took > time.Second {
		t.Errorf("took %s with max_duration 300ms", took)
	}
	if checks.Classify(err) != checks.ReasonTimeout || !strings.Contains(err.Error(), "within max_duration 300ms") {
		t.Fatalf("err = %v", err)
	}
	if obs["requests"].(int) == 0 {
		t.Error("no observations")
	}
}

func TestProgress(t *testing.T) {
	var n atomic.Int64
	url := serve(t, counting(&n))
	var mu sync.Mutex
	var lines []string
	ctx := checks.WithProgress(t.Context(), func(line string) {
		mu.Lock()
		lines = append(lines, line)
		mu.Unlock()
	})
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	p := mustProbe(t, fmt.Sprintf("url: %s\nconnections: 2\nwarmup: 300ms\nduration: 1s", url))
	if _, err := p.Run(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(lines) < 4 || len(lines) > 7 {
		t.Fatalf("%d progress lines in 1.3s, want about 4 a second: %q", len(lines), lines)
	}
	if !strings.HasPrefix(lines[0], "warmup 0.") || !strings.Contains(lines[0], "s/0.3s ") || strings.Contains(lines[0], " 0 req/s") {
		t.Errorf("first line = %q", lines[0])
	}
	last := lines[len(lines)-1]
	var el, reqs, rate, errs string
	if _, err := fmt.Sscanf(last, "%s %s req %s req/s %s errors", &el, &reqs, &rate, &errs); err != nil || !strings.HasSuffix(el, "/1s") || errs != "0" || reqs == "0" || rate == "0" {
		t.Errorf("last line = %q (%v)", last, err)
	}
}
