package metricsexport_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/readyctl/readyctl/internal/metricsexport"
	"github.com/readyctl/readyctl/internal/testsvc"
)

var started = time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)

func sampleRun() metricsexport.Run {
	return metricsexport.Run{
		Checklist:   "Production deployment",
		Environment: "production",
		Ready:       false,
		Timestamp:   started,
		Duration:    1234 * time.Millisecond,
		Items: []metricsexport.Item{
			{ID: "auth-service", Section: "health", Kind: "http", Severity: "critical", Status: "pass", Duration: 12 * time.Millisecond},
			{ID: "api-error-rate", Section: "post-deploy", Kind: "prometheus", Severity: "critical", Status: "fail", Duration: 250 * time.Millisecond},
			{ID: "notify-stakeholders", Section: "deploy", Kind: "manual", Severity: "info", Status: "pending"},
		},
	}
}

// parse reads the text format with client_golang's own parser.
func parse(t *testing.T, text string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("text format does not parse: %v\n%s", err, text)
	}
	return mfs
}

// series renders every sample of a family as `{a="b",...} value` lines,
// labels sorted, leaving out the labels in drop.
func series(mfs map[string]*dto.MetricFamily, name string, drop ...string) []string {
	mf := mfs[name]
	if mf == nil {
		return nil
	}
	var out []string
	for _, m := range mf.GetMetric() {
		var labels []string
		for _, l := range m.GetLabel() {
			if !contains(drop, l.GetName()) {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
		}
		sort.Strings(labels)
		out = append(out, fmt.Sprintf("{%s} %g", strings.Join(labels, ","), m.GetGauge().GetValue()))
	}
	sort.Strings(out)
	return out
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func assertSeries(t *testing.T, mfs map[string]*dto.MetricFamily, name string, want []string, drop ...string) {
	t.Helper()
	got := series(mfs, name, drop...)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\ngot\n  %s\nwant\n  %s", name, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// assertRun checks the metrics of sampleRun, with run labels rl (the same
// string is expected on every series).
func assertRun(t *testing.T, mfs map[string]*dto.MetricFamily, rl string, drop ...string) {
	t.Helper()
	var status []string
	for _, it := range []struct{ id, section, kind, severity, status string }{
		{"auth-service", "health", "http", "critical", "pass"},
		{"api-error-rate", "post-deploy", "prometheus", "critical", "fail"},
		{"notify-stakeholders", "deploy", "manual", "info", "pending"},
	} {
		for _, s := range metricsexport.Statuses {
			v := 0
			if s == it.status {
				v = 1
			}
			status = append(status, fmt.Sprintf(`{%sid=%q,kind=%q,section=%q,severity=%q,status=%q} %d`, rl, it.id, it.kind, it.section, it.severity, s, v))
		}
	}
	// Label order is alphabetical: checklist, environment, id, ...
	assertSeries(t, mfs, "readyctl_item_status", status, drop...)
	assertSeries(t, mfs, "readyctl_item_duration_seconds", []string{
		`{` + rl + `id="auth-service",kind="http",section="health",severity="critical"} 0.012`,
		`{` + rl + `id="api-error-rate",kind="prometheus",section="post-deploy",severity="critical"} 0.25`,
		`{` + rl + `id="notify-stakeholders",kind="manual",section="deploy",severity="info"} 0`,
	}, drop...)
	trim := strings.TrimSuffix(rl, ",")
	assertSeries(t, mfs, "readyctl_run_ready", []string{`{` + trim + `} 0`}, drop...)
	assertSeries(t, mfs, "readyctl_run_timestamp_seconds", []string{fmt.Sprintf(`{%s} %g`, trim, float64(started.Unix()))}, drop...)
	assertSeries(t, mfs, "readyctl_run_duration_seconds", []string{`{` + trim + `} 1.234`}, drop...)
	assertSeries(t, mfs, "readyctl_run_items", []string{
		`{` + rl + `status="pass"} 1`, `{` + rl + `status="fail"} 1`, `{` + rl + `status="error"} 0`,
		`{` + rl + `status="skip"} 0`, `{` + rl + `status="pending"} 1`, `{` + rl + `status="waived"} 0`,
	}, drop...)
}

func TestWriteTextfile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "readyctl.prom")
	if err := writeTextfile(path, sampleRun()); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	mfs := parse(t, string(b))
	assertRun(t, mfs, `checklist="Production deployment",environment="production",`)
	for _, name := range []string{"readyctl_item_status", "readyctl_run_ready"} {
		if mfs[name].GetType() != dto.MetricType_GAUGE || mfs[name].GetHelp() == "" {
			t.Errorf("%s: want a gauge with help, got %v %q", name, mfs[name].GetType(), mfs[name].GetHelp())
		}
	}
}

func TestTextfileCounts(t *testing.T) {
	t.Parallel()
	run := sampleRun()
	run.Ready = true
	run.Environment = ""
	run.Counts = map[string]int{"pass": 40, "fail": 0, "waived": 2, "flaky": 1} // given counts win; unknown status kept
	run.Items = append(run.Items, metricsexport.Item{ID: "new", Section: "s", Kind: "tcp", Severity: "warning", Status: "flaky"})
	path := filepath.Join(t.TempDir(), "r.prom")
	if err := writeTextfile(path, run); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	mfs := parse(t, string(b))
	rl := `checklist="Production deployment",`
	assertSeries(t, mfs, "readyctl_run_ready", []string{`{checklist="Production deployment"} 1`})
	assertSeries(t, mfs, "readyctl_run_items", []string{
		`{` + rl + `status="pass"} 40`, `{` + rl + `status="fail"} 0`, `{` + rl + `status="error"} 0`,
		`{` + rl + `status="skip"} 0`, `{` + rl + `status="pending"} 0`, `{` + rl + `status="waived"} 2`,
		`{` + rl + `status="flaky"} 1`,
	})
	got := series(mfs, "readyctl_item_status")
	n := 0
	for _, s := range got {
		if strings.Contains(s, `id="new"`) {
			n++
			if strings.Contains(s, `status="flaky"`) != strings.HasSuffix(s, " 1") {
				t.Errorf("unexpected %s", s)
			}
		}
	}
	if n != len(metricsexport.Statuses)+1 {
		t.Errorf("item with an unknown status: %d series, want %d", n, len(metricsexport.Statuses)+1)
	}
	if strings.Contains(string(b), "environment") {
		t.Error("empty environment should leave the label out")
	}
}

func TestTextfileErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	run := sampleRun()
	run.Items = append(run.Items, run.Items[0])
	if err := writeTextfile(filepath.Join(dir, "r.prom"), run); err == nil || !strings.Contains(err.Error(), `"auth-service" appears twice`) {
		t.Errorf("duplicate id: got %v", err)
	}
}

// A pushed run is read back from a real Pushgateway's /metrics.
func TestPush(t *testing.T) {
	t.Parallel()
	g := testsvc.StartPushgateway(t, testsvc.PushgatewayOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	if err := metricsexport.Push(ctx, g.URL, sampleRun()); err != nil {
		t.Fatal(err)
	}
	// "Production deployment" has a space: client_golang's push alone
	// would store it as "Production+deployment" (see base64Grouping).
	// A second checklist, whose name needs escaping in the push URL, and no
	// environment: its own group, without an environment label.
	other := metricsexport.Run{Checklist: "EU / staging", Ready: true, Timestamp: started,
		Items: []metricsexport.Item{{ID: "db", Section: "data", Kind: "postgres", Severity: "critical", Status: "pass"}}}
	if err := metricsexport.Push(ctx, g.URL, other); err != nil {
		t.Fatal(err)
	}

	mfs := parse(t, g.Metrics(t))
	prod := map[string]*dto.MetricFamily{}
	for name, mf := range mfs {
		if !strings.HasPrefix(name, "readyctl_") {
			continue
		}
		cp := &dto.MetricFamily{Name: mf.Name, Type: mf.Type, Help: mf.Help}
		for _, m := range mf.GetMetric() {
			if labelValue(m, "checklist") == "Production deployment" {
				cp.Metric = append(cp.Metric, m)
			}
		}
		prod[name] = cp
	}
	// The Pushgateway adds job and an empty instance; grouping labels
	// replace the textfile's run labels.
	assertRun(t, prod, `checklist="Production deployment",environment="production",`, "instance", "job")
	for _, mf := range prod {
		for _, m := range mf.GetMetric() {
			if labelValue(m, "job") != "readyctl" {
				t.Errorf("%s %v: want job readyctl", mf.GetName(), m)
			}
		}
	}
	assertSeries(t, mfs, "readyctl_run_ready", []string{
		`{checklist="EU / staging",instance="",job="readyctl"} 1`,
		`{checklist="Production deployment",environment="production",instance="",job="readyctl"} 0`,
	})

	// A push replaces its whole group: an item gone from the checklist
	// disappears, other groups stay.
	run := sampleRun()
	run.Items = run.Items[:1]
	if err := metricsexport.Push(ctx, g.URL, run); err != nil {
		t.Fatal(err)
	}
	mfs = parse(t, g.Metrics(t))
	assertSeries(t, mfs, "readyctl_item_duration_seconds", []string{
		`{checklist="EU / staging",id="db",instance="",job="readyctl",kind="postgres",section="data",severity="critical"} 0`,
		`{checklist="Production deployment",environment="production",id="auth-service",instance="",job="readyctl",kind="http",section="health",severity="critical"} 0.012`,
	})
}

func labelValue(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// Credentials in the URL become basic auth, checked by the Pushgateway
// itself (its --web.config.file).
func TestPushBasicAuth(t *testing.T) {
	t.Parallel()
	g := testsvc.StartPushgateway(t, testsvc.PushgatewayOptions{
		// bcrypt (cost 4) of "readyctl-test-secret".
		WebConfig: "basic_auth_users:\n  ci: $2a$04$cavO0J9h65II01EK1an1ZeTzt/TVx.S99YjUQtHpXl7thJIzVep1a\n",
		Username:  "ci", Password: "readyctl-test-secret",
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	withCreds := strings.Replace(g.URL, "http://", "http://ci:readyctl-test-secret@", 1)
	if err := metricsexport.Push(ctx, withCreds, sampleRun()); err != nil {
		t.Fatal(err)
	}
	if m := g.Metrics(t); !strings.Contains(m, `readyctl_run_ready{checklist="Production deployment"`) {
		t.Errorf("pushed run not found:\n%s", m)
	}
	err := metricsexport.Push(ctx, g.URL, sampleRun())
	if err == nil || !strings.Contains(err.Error(), "unexpected status code 401") {
		t.Errorf("push without credentials: got %v, want a 401", err)
	}
}

// A push that cannot be delivered says where it went and why, quickly,
// without the password.
func TestPushErrors(t *testing.T) {
	t.Parallel()
	refused := fmt.Sprintf("127.0.0.1:%d", testsvc.FreePort(t))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	start := time.Now()
	err := metricsexport.Push(ctx, "http://ci:s3cret@"+refused, sampleRun())
	took := time.Since(start)
	if err == nil {
		t.Fatal("push to a refused port succeeded")
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "push metrics to pushgateway http://ci:xxxxx@"+refused+": ") || !strings.Contains(msg, "connection refused") {
		t.Errorf("unclear error: %s", msg)
	}
	if strings.Contains(msg, "s3cret") {
		t.Errorf("password in error: %s", msg)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("cause not wrapped: %#v", err)
	}
	if took > 2*time.Second {
		t.Errorf("took %s", took)
	}

	for _, u := range []string{"pushgateway:9091", "ftp://x", "http://", "http://a b"} {
		if err := metricsexport.Push(ctx, u, sampleRun()); err == nil || !strings.Contains(err.Error(), "pushgateway url") {
			t.Errorf("Push(%q) = %v, want a url error", u, err)
		}
	}
}

// writeTextfile writes run to path as `-o prometheus=PATH` does.
func writeTextfile(path string, run metricsexport.Run) error {
	var buf bytes.Buffer
	if err := metricsexport.Write(&buf, run); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
