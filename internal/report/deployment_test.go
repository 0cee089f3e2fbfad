package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func deployFixture(outcome string) *Report {
	r := &Report{
		Checklist: ChecklistInfo{Name: "Deploy", Path: "c.yaml"}, Environment: "production", Release: "v2.3.0",
		StartedAt: time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC), FailOn: "critical",
		Items: []Item{{ID: "api", Section: "s", Kind: "http", Severity: "critical", Status: Pass, Key: []string{"latency"},
			Observations: map[string]any{"latency": 150 * time.Millisecond, "status": 200}}},
	}
	r.Finish([]Section{{ID: "s", Title: "S"}}, true)
	base := &Report{Items: []Item{{ID: "api", Status: Pass, Observations: map[string]any{"latency": "100ms", "status": float64(200)}}}}
	r.ApplyBaseline(base, "before the deploy")
	exit, conv := 0, int64(420)
	d := &Deployment{
		StartedAt: r.StartedAt, FinishedAt: r.StartedAt.Add(5 * time.Second), Command: "./deploy.sh v2", ExitCode: &exit,
		DurationMS: 1800, DowntimeMS: 1500, ConvergedMS: &conv, Outcome: outcome, Reason: "why not",
		Outages:           []Outage{{Item: "api", Start: r.StartedAt.Add(time.Second), End: r.StartedAt.Add(2500 * time.Millisecond)}},
		Issues:            Issues{Warning: 1},
		PerformanceChange: r.PerformanceChange(),
		Watched:           []string{"api"}, IntervalMS: 100, Probes: 18, ProbeFailures: 15,
	}
	r.SetDeployment(d)
	return r
}

// TestDeploymentOutcomeDecidesWithTheItems: a deployment that did not
// succeed blocks even when every item passes.
func TestDeploymentOutcomeDecidesWithTheItems(t *testing.T) {
	if r := deployFixture(OutcomeDeployed); r.Verdict != Ready || len(r.Blocking()) != 0 {
		t.Errorf("deployed: verdict %s, blocking %v", r.Verdict, r.Blocking())
	}
	for _, o := range []string{OutcomeStopped, OutcomeFailed, OutcomeNotConverged, OutcomeRolledBack} {
		r := deployFixture(o)
		bs := r.Blocking()
		if r.Verdict != NotReady || len(bs) != 1 || bs[0].Reason != BlockDeployment || !strings.Contains(bs[0].Message, "why not") {
			t.Errorf("%s: verdict %s, blocking %+v", o, r.Verdict, bs)
		}
	}
}

func TestPerformanceChangeOfKeyObservations(t *testing.T) {
	r := deployFixture(OutcomeDeployed)
	pc := r.PerformanceChange()
	if len(pc) != 1 || pc["api.latency"] != (Change{Before: 100, After: 150, Percent: 50}) {
		t.Errorf("performance change %+v: want only the key observation latency, +50%%", pc)
	}
	if c := r.Items[0].Changes["status"]; c.Percent != 0 || c.Before != 200 {
		t.Errorf("status change %+v", c)
	}
	if c := NewChange(0, 0.05); !c.New || c.Percent != 0 {
		t.Errorf("from 0: %+v", c)
	}
}

// TestDeploymentInEveryFormat: the record reaches every reader.
func TestDeploymentInEveryFormat(t *testing.T) {
	r := deployFixture(OutcomeRolledBack)
	r.Deployment.RolledBack, r.Deployment.RollbackDurationMS = true, 700
	for format, wants := range map[string][]string{
		"text":       {"Deployment", "outcome: rolled_back", "downtime: 1.5s (watched api every 100ms, 18 probes, 15 failed)", "outage: api from 15:04:06.000 to 15:04:07.500 (1.5s)", "rollback: done in 700ms", "performance: api.latency 100ms → 150ms (+50.0%)", "release: v2.3.0", "change: latency 100ms → 150ms (+50.0%)"},
		"markdown":   {"### Deployment", "- outcome: rolled\\_back", "post-deployment issues: 0 critical, 1 warning, 0 info", "change: latency"},
		"junit":      {`name="deployment.downtime_ms" value="1500"`, `name="deployment.rolled_back" value="true"`, `name="deployment.performance_change.api.latency" value="50.0"`},
		"prometheus": {"readyctl_deployment_downtime_seconds{checklist=\"Deploy\",environment=\"production\"} 1.5", "readyctl_deployment_rolled_back{checklist=\"Deploy\",environment=\"production\"} 1", "readyctl_deployment_performance_change_percent{checklist=\"Deploy\",environment=\"production\",item=\"api\",observation=\"latency\"} 50", "readyctl_deployment_issues{checklist=\"Deploy\",environment=\"production\",severity=\"warning\"} 1"},
	} {
		render, _ := Lookup(format)
		var b bytes.Buffer
		if err := render(&b, r, Options{}); err != nil {
			t.Fatal(err)
		}
		for _, w := range wants {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s lacks %q:\n%s", format, w, b.String())
			}
		}
	}
	render, _ := Lookup("json")
	var b bytes.Buffer
	if err := render(&b, r, Options{}); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Deployment map[string]any `json:"deployment"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	// The contract's keys (DESIGN.md), exactly named.
	for _, k := range []string{"duration_ms", "downtime_ms", "outages", "rolled_back", "rollback_duration_ms", "issues", "performance_change"} {
		if _, ok := got.Deployment[k]; !ok {
			t.Errorf("json deployment lacks %q: %v", k, got.Deployment)
		}
	}
	if o := got.Deployment["outages"].([]any)[0].(map[string]any); o["item"] != "api" || o["start"] == nil || o["end"] == nil {
		t.Errorf("outage %v", o)
	}
	if i := got.Deployment["issues"].(map[string]any); i["critical"] != 0.0 || i["warning"] != 1.0 || i["info"] != 0.0 {
		t.Errorf("issues %v", i)
	}
}

// TestNoDeploymentNoBlock: a check run has no deployment key at all.
func TestNoDeploymentNoBlock(t *testing.T) {
	render, _ := Lookup("json")
	var b bytes.Buffer
	if err := render(&b, fixture(), Options{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), `"deployment"`) || strings.Contains(b.String(), `"baseline"`) {
		t.Error("a check run carries a deployment or baseline key")
	}
}
