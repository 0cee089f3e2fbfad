package promcheck_test

import (
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/readyctl/readyctl/internal/testsvc"
)

// rules loaded by the shared Prometheus: a healthy group (a recording rule
// and two alerts that fire), and a group whose one recording rule loads
// but fails at every evaluation: both dup series lose their names to the
// record name and collide.
const rules = `groups:
- name: readyctl-healthy
  rules:
  - record: job:readyctl_test_requests:rate1m
    expr: sum by (job) (rate(readyctl_test_requests_total[1m]))
  - alert: ReadyctlTestHighCPU
    expr: readyctl_test_cpu_ratio > 0.8
    labels:
      severity: warning
  - alert: Watchdog
    expr: vector(1)
- name: readyctl-broken
  rules:
  - record: readyctl_test_dup
    expr: '{__name__=~"readyctl_test_dup_a|readyctl_test_dup_b"}'
`

// env is one Prometheus shared by every subtest of TestPrometheus.
type env struct {
	prom    *testsvc.Prometheus
	refused string // host:port nobody listens on, also the down target
}

// block returns a prometheus: block for the shared server.
func (e *env) block(rest string) string {
	return "url: " + e.prom.URL + "\n" + rest
}

// exporter is what the shared Prometheus scrapes: on every scrape 99
// requests succeed and 1 fails (an error ratio of exactly 0.01), 95
// take 50ms and 5 take 500ms; two pods use 30% and 90% CPU.
func exporter(t *testing.T) string {
	reg := prometheus.NewRegistry()
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "readyctl_test_requests_total", Help: "requests"}, []string{"code"})
	latency := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "readyctl_test_request_duration_seconds", Help: "latency", Buckets: prometheus.DefBuckets})
	cpu := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "readyctl_test_cpu_ratio", Help: "cpu"}, []string{"pod"})
	dupA := prometheus.NewGauge(prometheus.GaugeOpts{Name: "readyctl_test_dup_a", Help: "dup"})
	dupB := prometheus.NewGauge(prometheus.GaugeOpts{Name: "readyctl_test_dup_b", Help: "dup"})
	reg.MustRegister(requests, latency, cpu, dupA, dupB)
	cpu.WithLabelValues("a").Set(0.3)
	cpu.WithLabelValues("b").Set(0.9)
	var mu sync.Mutex
	return testsvc.ServeMetrics(t, reg, func() {
		mu.Lock()
		defer mu.Unlock()
		requests.WithLabelValues("200").Add(99)
		requests.WithLabelValues("500").Add(1)
		for i := 0; i < 95; i++ {
			latency.Observe(0.05)
		}
		for i := 0; i < 5; i++ {
			latency.Observe(0.5)
		}
	})
}

func startEnv(t *testing.T) *env {
	start := time.Now()
	refused := fmt.Sprintf("127.0.0.1:%d", testsvc.FreePort(t))
	// A second, empty exporter so that job "mixed" has one target up and
	// one down without scraping the counters twice.
	empty := testsvc.ServeMetrics(t, prometheus.NewRegistry(), nil)
	p := testsvc.StartPrometheus(t, testsvc.PrometheusOptions{
		ScrapeJobs: map[string][]string{
			"exporter": {exporter(t)},
			"down":     {refused},
			"mixed":    {empty, refused},
		},
		Rules: rules,
	})
	p.WaitRulesEvaluated(t)
	// rate() needs two scrapes.
	testsvc.Eventually(t, 20*time.Second, "two scrapes for rate()", func() error {
		var res struct {
			Result []any `json:"result"`
		}
		q := url.QueryEscape(`rate(readyctl_test_requests_total[1m])`)
		if err := p.GetJSON("/api/v1/query?query="+q, &res); err != nil {
			return err
		}
		if len(res.Result) == 0 {
			return fmt.Errorf("no rate yet")
		}
		return nil
	})
	t.Logf("prometheus scraped and evaluated after %s", time.Since(start))
	return &env{prom: p, refused: refused}
}

// TestPrometheus runs every probe option against one real Prometheus.
func TestPrometheus(t *testing.T) {
	e := startEnv(t)
	for name, f := range map[string]func(*testing.T, *env){
		"query":      testQuery,
		"non_finite": testNonFinite,
		"range":      testRange,
		"targets":    testTargets,
		"rules":      testRules,
		"alerts":     testAlerts,
		"ready":      testReady,
		"combined":   testCombined,
		"bearer":     testBearerAndHeaders,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f(t, e)
		})
	}
}

func testQuery(t *testing.T, e *env) {
	errorRatio := `query: sum(rate(readyctl_test_requests_total{code="500"}[1m])) / sum(rate(readyctl_test_requests_total[1m]))`
	for _, tc := range []struct {
		name, block string
		want        want
	}{
		{"error ratio within and beyond a threshold", errorRatio, want{Status: "pass", Holds: []string{
			`value < 0.02`, `!(value < 0.005)`, `len(result) == 1`,
			`query == 'sum(rate(readyctl_test_requests_total{code="500"}[1m])) / sum(rate(readyctl_test_requests_total[1m]))'`,
		}}},
		{"p99 latency from a histogram", `query: histogram_quantile(0.99, sum by (le) (rate(readyctl_test_request_duration_seconds_bucket[1m])))`,
			want{Status: "pass", Holds: []string{`value > 0.25 && value <= 0.5`, `!(value < 0.2)`}}},
		{"one value per series, with labels", `query: readyctl_test_cpu_ratio`, want{Status: "pass", Holds: []string{
			`len(result) == 2`, `!all(result, # < 0.8)`, `any(result, # < 0.8)`,
			`any(series, .labels.pod == "b" && .value == 0.9 && .labels.job == "exporter")`,
			`map(filter(series, .value >= 0.8), .labels.pod) == ["b"]`,
		}}},
		{"scalar", `query: scalar(vector(42))`, want{Status: "pass", Holds: []string{`value == 42`, `series[0].labels == {}`}}},
		{"empty result is an error", `query: readyctl_test_no_such_metric`, want{Status: "error", Reason: "no_data",
			Contains: []string{`query "readyctl_test_no_such_metric" returned no data`}}},
		{"allow_empty lets it through", "query: readyctl_test_no_such_metric\nallow_empty: true", want{Status: "pass",
			Holds: []string{`value == nil`, `result == []`}}},
		{"syntax error", `query: 'sum(('`, want{Status: "error", Reason: "bad_query", Contains: []string{`query "sum(("`, "parse error"}}},
		{"string result", `query: '"text"'`, want{Status: "error", Reason: "bad_response", Contains: []string{`query "\"text\""`, "string"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.want.check(t, run(t, e.block(tc.block)))
		})
	}
}

// NaN and Inf are reported as such, in observations and messages, and fail
// the probe unless allow_non_finite hands them to expect:, where expr-lang
// comparisons behave as IEEE 754 says (see the package doc of checkQuery).
func testNonFinite(t *testing.T, e *env) {
	for _, tc := range []struct {
		name, block string
		want        want
	}{
		{"NaN fails", `query: vector(0) / 0`, want{Status: "fail", Reason: "non_finite",
			Contains: []string{`query "vector(0) / 0" returned {} NaN`, "allow_non_finite"}}},
		{"+Inf fails", `query: vector(1) / 0`, want{Status: "fail", Reason: "non_finite", Contains: []string{"{} +Inf"}}},
		{"-Inf fails", `query: vector(-1) / 0`, want{Status: "fail", Reason: "non_finite", Contains: []string{"{} -Inf"}}},
		{"0/0 over a histogram with no traffic", `query: histogram_quantile(0.99, rate(readyctl_test_request_duration_seconds_bucket[1m]) * 0)`,
			want{Status: "fail", Reason: "non_finite", Contains: []string{"NaN"}}},
		{"NaN handed to expect", "query: vector(0) / 0\nallow_non_finite: true", want{Status: "pass", Holds: []string{
			`value != value`, `!(value < 0.01)`, `!(value > 0.01)`, `!(value == 0)`,
		}}},
		{"+Inf handed to expect", "query: vector(1) / 0\nallow_non_finite: true", want{Status: "pass", Holds: []string{
			`!(value < 0.01)`, `value > 0.01`,
		}}},
		{"-Inf handed to expect passes value < x", "query: vector(-1) / 0\nallow_non_finite: true", want{Status: "pass", Holds: []string{
			`value < 0.01`,
		}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := run(t, e.block(tc.block))
			tc.want.check(t, o)
			if _, ok := o.Obs["value"].(float64); !ok {
				t.Errorf("value %v is not reported as a float64", o.Obs["value"])
			}
		})
	}
}

func testRange(t *testing.T, e *env) {
	q := "query: sum(rate(readyctl_test_requests_total[5s]))\n"
	// Without range: one value.
	want{Status: "pass", Holds: []string{`len(result) == 1`}}.check(t, run(t, e.block(q)))
	// With range: one value per step since Prometheus started, each with
	// its time; poll until it has been running for a few steps.
	var o outcome
	testsvc.Eventually(t, 20*time.Second, "three range samples", func() error {
		o = run(t, e.block(q+"range: {window: 1m, step: 1s}"))
		if o.Status != "pass" {
			return fmt.Errorf("%s/%s: %s", o.Status, o.Reason, o.Message)
		}
		if n := len(o.Obs["result"].([]any)); n < 3 {
			return fmt.Errorf("%d samples", n)
		}
		return nil
	})
	want{Status: "pass", Holds: []string{
		`all(result, # > 0)`, `len(series) == len(result)`,
		`series[0].time < series[len(series)-1].time`,
		`series[len(series)-1].time - series[0].time == duration("1s") * (len(series) - 1)`,
	}}.check(t, o)
	// A range over an empty selection is still no_data.
	want{Status: "error", Reason: "no_data", Contains: []string{`range query "readyctl_test_nope" over the last 1m0s at step 2s`}}.
		check(t, run(t, e.block("query: readyctl_test_nope\nrange: {window: 1m}")))
}

func testTargets(t *testing.T, e *env) {
	for _, tc := range []struct {
		name, block string
		want        want
	}{
		{"healthy job", "targets: {jobs: [exporter]}", want{Status: "pass", Holds: []string{
			`targets.up == 1`, `targets.total == 1`, `targets.up_ratio == 1`, `targets.down == []`,
		}}},
		{"down target named with its last error", "targets: {jobs: [exporter, down]}", want{Status: "fail",
			Contains:    []string{`job "down" has 0/1 targets up (0), below min_up_ratio 1: ` + e.refused + " is down:", "connection refused"},
			NotContains: []string{`job "exporter"`},
			Holds:       []string{`targets.up == 1`, `targets.down[0].instance == "` + e.refused + `"`, `targets.jobs.down.up == 0`},
		}},
		{"all jobs by default", "targets: {}", want{Status: "fail", Contains: []string{`job "down"`, `job "mixed" has 1/2 targets up (0.5)`},
			Holds: []string{`targets.total == 4`, `targets.up == 2`}}},
		{"half of mixed is below the default ratio", "targets: {jobs: [mixed]}", want{Status: "fail", Contains: []string{`job "mixed" has 1/2`}}},
		{"min_up_ratio accepts it", "targets: {jobs: [mixed], min_up_ratio: 0.5}", want{Status: "pass", Holds: []string{`targets.up_ratio == 0.5`}}},
		{"unknown job", "targets: {jobs: [exporter, nosuch]}", want{Status: "fail", Contains: []string{`job "nosuch" has no active targets`}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.want.check(t, run(t, e.block(tc.block)))
		})
	}
}

func testRules(t *testing.T, e *env) {
	for _, tc := range []struct {
		name, block string
		want        want
	}{
		{"broken rule named with its error", "rules: {}", want{Status: "fail",
			Contains: []string{"1 of 4 rules broken: recording rule readyctl_test_dup in group readyctl-broken is err: vector contains metrics with the same labelset"},
			Holds:    []string{`rules.total == 4`, `rules.broken[0].name == "readyctl_test_dup"`},
		}},
		{"healthy group", "rules: {groups: [readyctl-healthy]}", want{Status: "pass", Holds: []string{`rules.total == 3`, `rules.broken == []`}}},
		{"healthy: false only looks at require", "rules: {healthy: false, require: [Watchdog]}", want{Status: "pass",
			Holds: []string{`len(rules.broken) == 1`}}},
		{"required rules loaded", "rules: {groups: [readyctl-healthy], require: [ReadyctlTestHighCPU, Watchdog, job:readyctl_test_requests:rate1m]}",
			want{Status: "pass", Holds: []string{`rules.missing == []`}}},
		{"required rule missing", "rules: {groups: [readyctl-healthy], require: [Watchdog, ReadyctlTestDiskFull]}", want{Status: "fail",
			Contains: []string{"required rules not loaded: ReadyctlTestDiskFull (3 rules loaded)"}, NotContains: []string{"Watchdog"},
			Holds: []string{`rules.missing == ["ReadyctlTestDiskFull"]`}}},
		{"required rule outside the selected groups", "rules: {groups: [readyctl-broken], healthy: false, require: [Watchdog]}",
			want{Status: "fail", Contains: []string{"required rules not loaded: Watchdog"}}},
		{"unknown group", "rules: {groups: [readyctl-healthy, nosuch]}", want{Status: "fail", Contains: []string{"rule groups not loaded: nosuch"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.want.check(t, run(t, e.block(tc.block)))
		})
	}
}

func testAlerts(t *testing.T, e *env) {
	for _, tc := range []struct {
		name, block string
		want        want
	}{
		{"firing alerts listed", "alerts: {}", want{Status: "fail",
			Contains: []string{`2 alerts firing: ReadyctlTestHighCPU{instance="`, `pod="b", severity="warning"} since `, "(value 0.9)", "Watchdog{} since"},
			Holds:    []string{`len(alerts.firing) == 2`, `alerts.firing[0].labels.pod == "b"`}}},
		{"ignored alert not listed", "alerts: {ignore: [Watchdog]}", want{Status: "fail",
			Contains: []string{"1 alert firing: ReadyctlTestHighCPU"}, NotContains: []string{"Watchdog"},
			Holds: []string{`alerts.ignored == ["Watchdog"]`, `map(alerts.firing, .name) == ["ReadyctlTestHighCPU"]`}}},
		{"all firing alerts ignored", "alerts: {ignore: [Watchdog, ReadyctlTestHighCPU]}", want{Status: "pass",
			Holds: []string{`alerts.firing == []`, `len(alerts.ignored) == 2`}}},
		{"firing: any leaves it to expect", "alerts: {firing: any, ignore: [Watchdog]}", want{Status: "pass",
			Holds: []string{`len(alerts.firing) == 1`, `!none(alerts.firing, .labels.severity == "warning")`}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.want.check(t, run(t, e.block(tc.block)))
		})
	}
}

func testReady(t *testing.T, e *env) {
	want{Status: "pass", Holds: []string{`ready == true`, `url == "` + e.prom.URL + `"`}}.check(t, run(t, e.block("ready: true")))
}

// Several failed checks of one item become one failure listing each.
func testCombined(t *testing.T, e *env) {
	o := run(t, e.block(`ready: true
targets: {jobs: [down]}
rules: {groups: [readyctl-healthy]}
alerts: {ignore: [Watchdog]}
query: readyctl_test_cpu_ratio`))
	want{Status: "fail", Reason: "assertion", Contains: []string{
		`job "down" has 0/1 targets up`, "; 1 alert firing: ReadyctlTestHighCPU",
	}, NotContains: []string{"rules"}, Holds: []string{`ready`, `len(result) == 2`, `rules.broken == []`}}.check(t, o)
}
