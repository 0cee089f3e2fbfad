package testsvc_test

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/readyctl/readyctl/internal/testsvc"
)

// The starter itself: a scraped exporter, an evaluated rules file, and a
// Pushgateway, each polled to readiness.
func TestStartPrometheusAndPushgateway(t *testing.T) {
	t.Parallel()
	start := time.Now()
	reg := prometheus.NewRegistry()
	a := prometheus.NewGauge(prometheus.GaugeOpts{Name: "dup_a"})
	b := prometheus.NewGauge(prometheus.GaugeOpts{Name: "dup_b"})
	reg.MustRegister(a, b)
	exporter := testsvc.ServeMetrics(t, reg, nil)
	p := testsvc.StartPrometheus(t, testsvc.PrometheusOptions{
		ScrapeJobs: map[string][]string{"exporter": {exporter}},
		Rules: `groups:
- name: g
  rules:
  - record: dup
    expr: '{__name__=~"dup_a|dup_b"}'
`,
	})
	t.Logf("prometheus ready after %s", time.Since(start))
	p.WaitScraped(t)
	t.Logf("scraped after %s", time.Since(start))
	p.WaitRulesEvaluated(t)
	t.Logf("rules evaluated after %s", time.Since(start))
	var rules struct {
		Groups []struct {
			Rules []struct {
				Health    string `json:"health"`
				LastError string `json:"lastError"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := p.GetJSON("/api/v1/rules", &rules); err != nil {
		t.Fatal(err)
	}
	if len(rules.Groups) != 1 || len(rules.Groups[0].Rules) != 1 || rules.Groups[0].Rules[0].Health != "err" {
		t.Fatalf("want the one duplicate-series rule evaluated with health err, got %+v", rules)
	}
	g := testsvc.StartPushgateway(t, testsvc.PushgatewayOptions{})
	if m := g.Metrics(t); !strings.Contains(m, "pushgateway_build_info") {
		t.Fatalf("pushgateway /metrics lacks its build info:\n%s", m)
	}
	t.Logf("pushgateway ready after %s", time.Since(start))
}
