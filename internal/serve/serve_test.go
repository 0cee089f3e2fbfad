package serve_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	_ "github.com/readyctl/readyctl/checks/httpcheck"
	_ "github.com/readyctl/readyctl/checks/loadcheck"
	_ "github.com/readyctl/readyctl/checks/tcpcheck"
	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/report"
	"github.com/readyctl/readyctl/internal/runner"
	"github.com/readyctl/readyctl/internal/serve"
)

// target is a loopback HTTP server that can go down (its listener
// closed: connections are refused) and come back on the same address.
type target struct {
	t    testing.TB
	addr string
	mu   sync.Mutex
	srv  *http.Server
}

func newTarget(t testing.TB) *target {
	tg := &target{t: t}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tg.addr = ln.Addr().String()
	tg.start(ln)
	t.Cleanup(tg.down)
	return tg
}

func (tg *target) start(ln net.Listener) {
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }), ReadHeaderTimeout: time.Second}
	tg.mu.Lock()
	tg.srv = srv
	tg.mu.Unlock()
	go srv.Serve(ln)
}

func (tg *target) down() {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	if tg.srv != nil {
		tg.srv.Close()
		tg.srv = nil
	}
}

func (tg *target) up() {
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ { // the port was ours a moment ago
		if ln, err = net.Listen("tcp", tg.addr); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		tg.t.Fatalf("target back up on %s: %v", tg.addr, err)
	}
	tg.start(ln)
}

func writeChecklist(t testing.TB, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func httpChecklist(name string, urls ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "version: 1\nname: %s\nsections:\n  - id: s\n    items:\n", name)
	for i, u := range urls {
		fmt.Fprintf(&b, "      - id: web-%d\n        timeout: 2s\n        http: {url: %q}\n", i, u)
	}
	return b.String()
}

func load(path string) func(context.Context) (*checklist.Checklist, error) {
	return func(context.Context) (*checklist.Checklist, error) {
		return checklist.Load(path, checklist.Options{LookupEnv: func(string) (string, bool) { return "", false }})
	}
}

func check(ctx context.Context, cl *checklist.Checklist) (*report.Report, error) {
	return runner.Run(ctx, cl, runner.Options{Concurrency: 100}), nil
}

// running is a server started by a test, stopped at its end.
type running struct {
	srv    *serve.Server
	base   string
	client *http.Client
	stop   func() error
}

func start(t testing.TB, opts serve.Options) *running {
	t.Helper()
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1:0"
	}
	if opts.Check == nil {
		opts.Check = check
	}
	addr := make(chan string, 1)
	opts.Ready = func(a string) { addr <- a }
	srv, err := serve.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	r := &running{srv: srv, client: &http.Client{Timeout: 5 * time.Second}}
	select {
	case a := <-addr:
		r.base = "http://" + a
	case err := <-done:
		cancel()
		t.Fatalf("serve did not start: %v", err)
	}
	var once sync.Once
	var stopErr error
	r.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-done:
			case <-time.After(15 * time.Second):
				stopErr = fmt.Errorf("serve did not stop within 15s")
			}
			r.client.CloseIdleConnections()
		})
		return stopErr
	}
	t.Cleanup(func() {
		if err := r.stop(); err != nil {
			t.Error(err)
		}
	})
	return r
}

func (r *running) get(t testing.TB, path string, hdr ...string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, r.base+path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := r.client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(body)
}

// waitStatus polls /ready until it answers want, for at most d.
func (r *running) waitStatus(t testing.TB, want int, d time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		code, _, body := r.get(t, "/ready")
		if code == want {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("/ready stayed %d (want %d) for %s: %s", code, want, d, body)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestReadyFollowsTarget: a real loopback target goes down and comes back;
// /ready flips 200 -> 503 -> 200 within an interval or two.
func TestReadyFollowsTarget(t *testing.T) {
	tg := newTarget(t)
	path := filepath.Join(t.TempDir(), "c.yaml")
	writeChecklist(t, path, httpChecklist("flip", "http://"+tg.addr+"/health"))
	cl, err := load(path)(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	const interval = 200 * time.Millisecond
	r := start(t, serve.Options{Interval: interval, Checklist: cl})

	// Within two intervals (plus a round's own time on a busy machine).
	within := 2*interval + time.Second
	body := r.waitStatus(t, http.StatusOK, within+2*time.Second) // first round, cold start
	if !strings.Contains(body, `"verdict":"ready"`) || !strings.Contains(body, `"blocking":[]`) {
		t.Errorf("ready body: %s", body)
	}
	tg.down()
	t0 := time.Now()
	body = r.waitStatus(t, http.StatusServiceUnavailable, within)
	t.Logf("down seen after %s", time.Since(t0).Round(time.Millisecond))
	for _, want := range []string{`"verdict":"not_ready"`, `"item":"web-0"`, `"reason":"connection_refused"`, `"time":"`} {
		if !strings.Contains(body, want) {
			t.Errorf("not-ready body lacks %s: %s", want, body)
		}
	}
	tg.up()
	t0 = time.Now()
	r.waitStatus(t, http.StatusOK, within)
	t.Logf("up seen after %s", time.Since(t0).Round(time.Millisecond))

	code, hdr, rep := r.get(t, "/report")
	if code != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") || !strings.Contains(rep, `"schema": "readyctl.report/v1"`) {
		t.Errorf("/report: %d %s %s", code, hdr.Get("Content-Type"), rep)
	}
}

// TestBeforeFirstRound: until a round finishes /ready is 503, never 200.
func TestBeforeFirstRound(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	writeChecklist(t, path, httpChecklist("slow", "http://127.0.0.1:1/"))
	cl, _ := load(path)(context.Background())
	release := make(chan struct{})
	r := start(t, serve.Options{Interval: time.Hour, Checklist: cl, Check: func(ctx context.Context, cl *checklist.Checklist) (*report.Report, error) {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return check(ctx, cl)
	}})
	defer close(release)
	code, _, body := r.get(t, "/ready")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, `"verdict":"not_ready"`) || !strings.Contains(body, "no_round_yet") {
		t.Errorf("/ready before the first round: %d %s", code, body)
	}
	if code, _, _ := r.get(t, "/report"); code != http.StatusServiceUnavailable {
		t.Errorf("/report before the first round: %d", code)
	}
	if code, _, _ := r.get(t, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz: %d", code)
	}
	_, _, text := r.get(t, "/metrics")
	if v := gauge(t, parseMetrics(t, text), "readyctl_run_ready"); v != 0 {
		t.Errorf("readyctl_run_ready before the first round = %v, want 0", v)
	}
}

func parseMetrics(t testing.TB, text string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v\n%s", err, text)
	}
	return fams
}

func gauge(t testing.TB, fams map[string]*dto.MetricFamily, name string) float64 {
	t.Helper()
	f, ok := fams[name]
	if !ok || len(f.Metric) == 0 {
		t.Fatalf("no metric %s", name)
	}
	m := f.Metric[0]
	switch {
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Counter != nil:
		return m.Counter.GetValue()
	}
	t.Fatalf("%s is neither gauge nor counter", name)
	return 0
}

// TestMetrics: /metrics parses with the Prometheus text parser and holds
// the metrics of -o prometheus and the server's own.
func TestMetrics(t *testing.T) {
	tg := newTarget(t)
	path := filepath.Join(t.TempDir(), "c.yaml")
	writeChecklist(t, path, httpChecklist("metrics", "http://"+tg.addr+"/"))
	cl, _ := load(path)(context.Background())
	r := start(t, serve.Options{Interval: 50 * time.Millisecond, Checklist: cl})
	r.waitStatus(t, http.StatusOK, 5*time.Second)
	for r.srv.Rounds() < 2 {
		time.Sleep(10 * time.Millisecond)
	}
	code, hdr, text := r.get(t, "/metrics")
	if code != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %s", code, hdr.Get("Content-Type"))
	}
	fams := parseMetrics(t, text)
	for _, name := range []string{
		// -o prometheus
		"readyctl_run_ready", "readyctl_item_status", "readyctl_item_duration_seconds",
		"readyctl_run_timestamp_seconds", "readyctl_run_duration_seconds", "readyctl_run_items",
		// serve's own
		"readyctl_rounds_total", "readyctl_round_duration_seconds", "readyctl_item_check_duration_seconds",
		"readyctl_checklist_reload_success", "go_goroutines",
	} {
		if _, ok := fams[name]; !ok {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	if v := gauge(t, fams, "readyctl_run_ready"); v != 1 {
		t.Errorf("readyctl_run_ready = %v", v)
	}
	if lbl := fams["readyctl_run_ready"].Metric[0].Label; len(lbl) != 1 || lbl[0].GetValue() != "metrics" {
		t.Errorf("readyctl_run_ready labels: %v (want checklist=metrics, as -o prometheus writes)", lbl)
	}
	if h := fams["readyctl_item_check_duration_seconds"].Metric[0].Histogram; h == nil || h.GetSampleCount() < 2 {
		t.Errorf("item histogram: %v", h)
	}
	var ready float64
	for _, m := range fams["readyctl_rounds_total"].Metric {
		if m.Label[0].GetValue() == "ready" {
			ready = m.Counter.GetValue()
		}
	}
	if ready < 2 {
		t.Errorf("readyctl_rounds_total{verdict=ready} = %v", ready)
	}
}

// TestAuth: with a token, every endpoint but /healthz refuses a missing or
// wrong token with 401 and WWW-Authenticate.
func TestAuth(t *testing.T) {
	tg := newTarget(t)
	path := filepath.Join(t.TempDir(), "c.yaml")
	writeChecklist(t, path, httpChecklist("auth", "http://"+tg.addr+"/"))
	cl, _ := load(path)(context.Background())
	r := start(t, serve.Options{Interval: time.Hour, Checklist: cl, Token: "s3cret-token"})
	for _, p := range []string{"/ready", "/report", "/metrics"} {
		for _, hdr := range [][]string{nil, {"Authorization", "Bearer wrong"}, {"Authorization", "Bearer s3cret-toke"}, {"Authorization", "Basic czNjcmV0LXRva2Vu"}, {"Authorization", "s3cret-token"}} {
			code, h, body := r.get(t, p, hdr...)
			if code != http.StatusUnauthorized || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s with %v: %d %q", p, hdr, code, h.Get("WWW-Authenticate"))
			}
			if strings.Contains(body, "verdict") || strings.Contains(body, "readyctl_") {
				t.Errorf("%s with %v leaks: %s", p, hdr, body)
			}
		}
	}
	if code, _, _ := r.get(t, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz without a token: %d", code)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		code, _, _ := r.get(t, "/ready", "Authorization", "Bearer s3cret-token")
		if code == http.StatusOK {
			break
		}
		if code == http.StatusUnauthorized || time.Now().After(deadline) {
			t.Fatalf("/ready with the right token: %d", code)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if code, _, _ := r.get(t, "/metrics", "Authorization", "bearer s3cret-token"); code != http.StatusOK {
		t.Errorf("/metrics with the right token (scheme case-insensitive): %d", code)
	}
}

// TestMethods: only GET and HEAD.
func TestMethods(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	writeChecklist(t, path, httpChecklist("m", "http://127.0.0.1:1/"))
	cl, _ := load(path)(context.Background())
	r := start(t, serve.Options{Interval: time.Hour, Checklist: cl})
	resp, err := r.client.Post(r.base+"/ready", "text/plain", strings.NewReader(strings.Repeat("x", 1<<20)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /ready: %d", resp.StatusCode)
	}
}

// TestReloadKeepsOldChecklist: a reload with a broken file is refused (its
// FILE:LINE:COL logged), the old checklist keeps running and
// readyctl_checklist_reload_success is 0; a good file is used next round.
func TestReloadKeepsOldChecklist(t *testing.T) {
	tg := newTarget(t)
	path := filepath.Join(t.TempDir(), "c.yaml")
	writeChecklist(t, path, httpChecklist("reload", "http://"+tg.addr+"/"))
	cl, _ := load(path)(context.Background())
	reload := make(chan struct{})
	var logs syncBuffer
	var loads atomic.Int32
	loader := load(path)
	r := start(t, serve.Options{
		Interval: 50 * time.Millisecond, Checklist: cl, Reload: reload,
		Load: func(ctx context.Context) (*checklist.Checklist, error) {
			defer loads.Add(1)
			return loader(ctx)
		},
		Logger: newLogger(&logs),
	})
	r.waitStatus(t, http.StatusOK, 5*time.Second)

	writeChecklist(t, path, "version: 1\nname: reload\nsections:\n  - id: s\n    items:\n      - id: web-0\n        htp: {url: x}\n")
	reload <- struct{}{}
	waitFor(t, func() bool { return loads.Load() == 1 })
	n := r.srv.Rounds()
	waitFor(t, func() bool { return r.srv.Rounds() >= n+2 })
	if code, _, body := r.get(t, "/ready"); code != http.StatusOK {
		t.Errorf("after a broken reload /ready is %d (the old checklist should keep running): %s", code, body)
	}
	if !strings.Contains(logs.String(), path+":7:9") {
		t.Errorf("the refused reload is not logged with FILE:LINE:COL:\n%s", logs.String())
	}
	_, _, text := r.get(t, "/metrics")
	if v := gauge(t, parseMetrics(t, text), "readyctl_checklist_reload_success"); v != 0 {
		t.Errorf("readyctl_checklist_reload_success = %v after a broken reload", v)
	}

	// A valid file with an item that cannot pass is used from the next round.
	writeChecklist(t, path, httpChecklist("reload", "http://"+tg.addr+"/", "http://127.0.0.1:1/"))
	reload <- struct{}{}
	body := r.waitStatus(t, http.StatusServiceUnavailable, 5*time.Second)
	if !strings.Contains(body, `"item":"web-1"`) {
		t.Errorf("after a good reload: %s", body)
	}
	_, _, text = r.get(t, "/metrics")
	if v := gauge(t, parseMetrics(t, text), "readyctl_checklist_reload_success"); v != 1 {
		t.Errorf("readyctl_checklist_reload_success = %v after a good reload", v)
	}
}

// TestNoOverlap: a round longer than the interval delays the next; two
// never run at once.
func TestNoOverlap(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	writeChecklist(t, path, httpChecklist("overlap", "http://127.0.0.1:1/"))
	cl, _ := load(path)(context.Background())
	var inFlight, most, rounds atomic.Int32
	var starts []time.Time
	var mu sync.Mutex
	r := start(t, serve.Options{Interval: time.Millisecond, Checklist: cl, Check: func(ctx context.Context, cl *checklist.Checklist) (*report.Report, error) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		if n > most.Load() {
			most.Store(n)
		}
		mu.Lock()
		starts = append(starts, time.Now())
		mu.Unlock()
		time.Sleep(30 * time.Millisecond)
		rounds.Add(1)
		return check(ctx, cl)
	}})
	waitFor(t, func() bool { return rounds.Load() >= 5 })
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	if most.Load() != 1 {
		t.Errorf("%d rounds ran at once", most.Load())
	}
	mu.Lock()
	defer mu.Unlock()
	for i := 1; i < len(starts); i++ {
		if gap := starts[i].Sub(starts[i-1]); gap < 30*time.Millisecond {
			t.Errorf("round %d started %s after the previous one, which took 30ms", i, gap)
		}
	}
}

// TestShutdownBounded: cancelling the server while a round waits on a
// target that never answers ends Run promptly, with no error.
func TestShutdownBounded(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0") // accepts, never answers
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	path := filepath.Join(t.TempDir(), "c.yaml")
	writeChecklist(t, path, strings.Replace(httpChecklist("stuck", "http://"+ln.Addr().String()+"/"), "timeout: 2s", "timeout: 1m", 1))
	cl, _ := load(path)(context.Background())
	entered := make(chan struct{}, 1)
	r := start(t, serve.Options{Interval: time.Hour, Checklist: cl, Grace: 2 * time.Second, Check: func(ctx context.Context, cl *checklist.Checklist) (*report.Report, error) {
		entered <- struct{}{}
		return check(ctx, cl)
	}})
	<-entered
	time.Sleep(100 * time.Millisecond)
	t0 := time.Now()
	if err := r.stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if d := time.Since(t0); d > 3*time.Second {
		t.Errorf("stopping took %s", d)
	}
	if r.srv.Rounds() != 0 {
		t.Errorf("a cancelled round was published")
	}
}

// TestIntrusiveNeverRuns: the server's round never runs a load item; it is
// skipped and does not block. (The CLI forces AllowIntrusive off; here the
// runner's default, which serve relies on, is checked with a load item.)
func TestIntrusiveNeverRuns(t *testing.T) {
	var hits atomic.Int64
	srv := &http.Server{Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }), ReadHeaderTimeout: time.Second}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go srv.Serve(ln)
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "c.yaml")
	writeChecklist(t, path, `version: 1
name: intrusive
sections:
  - id: s
    items:
      - id: up
        tcp: {address: "`+ln.Addr().String()+`"}
      - id: load
        severity: critical
        load: {url: "http://`+ln.Addr().String()+`/", rate: 50, duration: 1s}
`)
	cl, err := load(path)(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r := start(t, serve.Options{Interval: time.Hour, Checklist: cl})
	r.waitStatus(t, http.StatusOK, 5*time.Second)
	_, _, rep := r.get(t, "/report")
	if !strings.Contains(rep, `"reason": "intrusive_not_allowed"`) {
		t.Errorf("load item not skipped as intrusive: %s", rep)
	}
	if hits.Load() != 0 {
		t.Errorf("the load item sent %d requests", hits.Load())
	}
}

func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestFailedRoundIsNotReady: a round that cannot be judged (its sign-off
// records unreadable) replaces a ready verdict with not ready.
func TestFailedRoundIsNotReady(t *testing.T) {
	tg := newTarget(t)
	path := filepath.Join(t.TempDir(), "c.yaml")
	writeChecklist(t, path, httpChecklist("failed", "http://"+tg.addr+"/"))
	cl, _ := load(path)(context.Background())
	var broken atomic.Bool
	r := start(t, serve.Options{Interval: 50 * time.Millisecond, Checklist: cl, Check: func(ctx context.Context, cl *checklist.Checklist) (*report.Report, error) {
		if broken.Load() {
			return nil, fmt.Errorf("reading sign-offs: permission denied")
		}
		return check(ctx, cl)
	}})
	r.waitStatus(t, http.StatusOK, 5*time.Second)
	broken.Store(true)
	body := r.waitStatus(t, http.StatusServiceUnavailable, 5*time.Second)
	if !strings.Contains(body, `"reason":"round_failed"`) || !strings.Contains(body, "permission denied") {
		t.Errorf("/ready after a failed round: %s", body)
	}
	if code, _, _ := r.get(t, "/report"); code != http.StatusServiceUnavailable {
		t.Errorf("/report after a failed round: %d", code)
	}
	_, _, text := r.get(t, "/metrics")
	if v := gauge(t, parseMetrics(t, text), "readyctl_run_ready"); v != 0 {
		t.Errorf("readyctl_run_ready after a failed round = %v", v)
	}
}
