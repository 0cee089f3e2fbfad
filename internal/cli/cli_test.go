package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	_ "github.com/readyctl/readyctl/checks/all"
	"github.com/readyctl/readyctl/internal/cmdutil"
)

func runCLI(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	for k, v := range env {
		t.Setenv(k, v)
	}
	io, out, errOut := cmdutil.TestIOStreams(false)
	code = Main(context.Background(), args, io)
	return code, out.String(), errOut.String()
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func keysOf(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestJSONReportContract checks the JSON report field by field against
// DESIGN.md, with items that pass, fail, error, skip (dependency and
// not_selected) and are pending, in checklist order.
func TestJSONReportContract(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(`{"status":"ok"}`)) }))
	defer ok.Close()
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(503) }))
	defer bad.Close()
	path := writeFile(t, "c.yaml", `version: 1
name: Contract
environments:
  production: {}
sections:
  - id: health
    title: Health Checks
    items:
      - id: zeta-pass
        title: passes
        tags: [run]
        http: {url: "`+ok.URL+`", expect: ['json.status == "ok"']}
      - id: alpha-fail
        tags: [run]
        http: {url: "`+bad.URL+`"}
      - id: error-refused
        tags: [run]
        tcp: {address: "127.0.0.1:1"}
      - id: dep-skip
        tags: [run]
        depends_on: [alpha-fail]
        http: {url: "`+ok.URL+`"}
      - id: filtered
        http: {url: "`+ok.URL+`"}
      - id: person
        tags: [run]
        manual: {roles: [qa-lead]}
`)
	code, stdout, stderr := runCLI(t, nil, "check", "-f", path, "--env", "production", "--tags", "run", "--format", "json")
	if code != ExitNotReady {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	wantTop := []string{"checklist", "duration_ms", "environment", "fail_on", "items", "schema", "sections", "selection", "signoffs", "started_at", "summary", "verdict"}
	if got := keysOf(rep); !reflect.DeepEqual(got, wantTop) {
		t.Errorf("top-level keys %v, want %v", got, wantTop)
	}
	if rep["schema"] != "readyctl.report/v1" || rep["verdict"] != "not_ready" || rep["environment"] != "production" {
		t.Errorf("schema/verdict/environment: %v %v %v", rep["schema"], rep["verdict"], rep["environment"])
	}
	cl := rep["checklist"].(map[string]any)
	if got := keysOf(cl); !reflect.DeepEqual(got, []string{"name", "path", "sha256"}) || cl["name"] != "Contract" || len(cl["sha256"].(string)) != 64 {
		t.Errorf("checklist: %v", cl)
	}
	sum := rep["summary"].(map[string]any)
	wantSum := map[string]any{"total": 6.0, "pass": 1.0, "fail": 1.0, "error": 1.0, "skip": 2.0, "pending": 1.0, "waived": 0.0}
	if !reflect.DeepEqual(sum, wantSum) {
		t.Errorf("summary %v, want %v", sum, wantSum)
	}
	sec := rep["sections"].([]any)[0].(map[string]any)
	if got := keysOf(sec); !reflect.DeepEqual(got, []string{"id", "pass_rate", "status", "title"}) || sec["id"] != "health" || sec["title"] != "Health Checks" {
		t.Errorf("section %v", sec)
	}
	want := []struct{ id, status, reason string }{
		{"zeta-pass", "pass", ""},
		{"alpha-fail", "fail", "assertion"},
		{"error-refused", "error", "connection_refused"},
		{"dep-skip", "skip", "dependency"},
		{"filtered", "skip", "not_selected"},
		{"person", "pending", "signoff_missing"},
	}
	items := rep["items"].([]any)
	if len(items) != len(want) {
		t.Fatalf("%d items", len(items))
	}
	itemKeys := []string{"attempts", "duration_ms", "id", "kind", "message", "observations", "reason", "section", "severity", "status", "title"}
	for i, w := range want {
		it := items[i].(map[string]any)
		if got := keysOf(it); !reflect.DeepEqual(got, itemKeys) {
			t.Errorf("item %d keys %v, want %v", i, got, itemKeys)
		}
		if it["id"] != w.id || it["status"] != w.status || it["reason"] != w.reason || it["section"] != "health" || it["severity"] != "critical" {
			t.Errorf("item %d: %v %v %v, want %+v", i, it["id"], it["status"], it["reason"], w)
		}
	}
	obs := items[0].(map[string]any)["observations"].(map[string]any)
	if obs["status"] != 200.0 || obs["json"].(map[string]any)["status"] != "ok" {
		t.Errorf("observations %v", obs)
	}
	if _, isString := obs["latency"].(string); !isString {
		t.Errorf("latency should render as a duration string, got %T", obs["latency"])
	}
	if m := items[1].(map[string]any)["message"]; m != "status 503, expected 2xx" {
		t.Errorf("fail message %q", m)
	}
	if _, ok := rep["signoffs"].([]any); !ok {
		t.Errorf("signoffs must be a list, got %v", rep["signoffs"])
	}
}

// TestConfigPrecedence: flags > READYCTL_* > config file > defaults.
func TestConfigPrecedence(t *testing.T) {
	var got *CheckOptions
	capture := func(_ context.Context, o *CheckOptions) error { got = o; return nil }
	run := func(env map[string]string, config string, args ...string) *CheckOptions {
		t.Helper()
		cfgHome := t.TempDir()
		if config != "" {
			os.MkdirAll(filepath.Join(cfgHome, "readyctl"), 0o755)
			os.WriteFile(filepath.Join(cfgHome, "readyctl", "config.yaml"), []byte(config), 0o644)
		}
		t.Setenv("XDG_CONFIG_HOME", cfgHome)
		for _, k := range []string{"READYCTL_CONCURRENCY", "READYCTL_FAIL_ON", "READYCTL_FORMAT"} {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
		for k, v := range env {
			t.Setenv(k, v)
		}
		io, _, _ := cmdutil.TestIOStreams(false)
		f := &cmdutil.Factory{IO: io, Settings: cmdutil.NewSettings(cmdutil.ConfigPath(), os.LookupEnv), LookupEnv: os.LookupEnv}
		cmd := NewCmdCheck(f, capture)
		cmd.SetArgs(args)
		if err := cmd.Execute(); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if o := run(nil, ""); o.Concurrency != 16 || o.FailOn != "critical" || o.Format != "text" {
		t.Errorf("defaults: %+v", o)
	}
	cfg := "concurrency: 3\nfail-on: warning\nformat: json\n"
	if o := run(nil, cfg); o.Concurrency != 3 || o.FailOn != "warning" || o.Format != "json" {
		t.Errorf("config file: %+v", o)
	}
	if o := run(map[string]string{"READYCTL_CONCURRENCY": "5", "READYCTL_FORMAT": "junit"}, cfg); o.Concurrency != 5 || o.Format != "junit" || o.FailOn != "warning" {
		t.Errorf("env over config: %+v", o)
	}
	if o := run(map[string]string{"READYCTL_CONCURRENCY": "5"}, cfg, "--concurrency", "7"); o.Concurrency != 7 {
		t.Errorf("flag over env: %+v", o)
	}
	if o := run(nil, "", "--var", "list=a,b", "--var", "x=1"); o.Vars["list"] != "a,b" || o.Vars["x"] != "1" {
		t.Errorf("--var: %v", o.Vars)
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{
		{"check", "--bogus"},
		{"check", "--concurrency", "x"},
		{"check", "--fail-on", "info"},
		{"check", "--format", "pdf"},
		{"check", "-o", "json"},
		{"check", "--var", "novalue"},
		{"check", "extra-arg"},
		{"list", "--format", "xml"},
		{"frobnicate"},
	} {
		if code, _, stderr := runCLI(t, nil, args...); code != ExitUsage || !strings.HasPrefix(stderr, "readyctl: ") {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
}

// TestEveryCommandHasAnExample keeps --help useful.
func TestEveryCommandHasAnExample(t *testing.T) {
	io, _, _ := cmdutil.TestIOStreams(false)
	root := NewRootCmd(&cmdutil.Factory{IO: io, Settings: cmdutil.NewSettings(cmdutil.ConfigPath(), os.LookupEnv)})
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if !c.Hidden && c.Name() != "help" && c.Name() != "completion" && c.Example == "" && c.Parent() != nil && c.Parent().Name() != "completion" {
			t.Errorf("%q has no example", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

func TestProbesDescribesEveryKind(t *testing.T) {
	code, stdout, _ := runCLI(t, nil, "probes")
	if code != 0 || !strings.Contains(stdout, "http") || !strings.Contains(stdout, "tcp") || !strings.Contains(stdout, "manual") {
		t.Fatalf("probes: %d %s", code, stdout)
	}
	code, stdout, _ = runCLI(t, nil, "probes", "http")
	for _, want := range []string{"url", "max_redirects", "10", "tls.ca_file", "expect", "Example:", "- id: auth-service"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("probes http lacks %q:\n%s", want, stdout)
		}
	}
	if code != 0 {
		t.Errorf("exit %d", code)
	}
}

// TestStdoutPipeStderrTerminal: the CI-with-a-log-viewer case. The report
// on a piped stdout has no colour; the live progress still goes to the
// terminal on stderr. And the reverse: a report on a terminal is coloured,
// and no progress is drawn into a piped stderr.
func TestStdoutPipeStderrTerminal(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(700 * time.Millisecond): // longer than the progress line's delay
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	path := writeFile(t, "c.yaml", "version: 1\nname: streams\nsections:\n  - id: s\n    items:\n      - id: api\n        http: {url: \""+slow.URL+"\"}\n")

	streams, out, errOut := cmdutil.TestIOStreams(true)
	streams.SetStdoutTTY(false)
	if code := Main(context.Background(), []string{"check", "-f", path}, streams); code != ExitReady {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	if strings.Contains(out.String(), "\x1b[") {
		t.Errorf("colour on a piped stdout: %q", out)
	}
	if !strings.Contains(errOut.String(), "0/1 done") {
		t.Errorf("no progress on the terminal stderr: %q", errOut)
	}

	streams, out, errOut = cmdutil.TestIOStreams(false)
	streams.SetStdoutTTY(true)
	if code := Main(context.Background(), []string{"check", "-f", path}, streams); code != ExitReady {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	if !strings.Contains(out.String(), "\x1b[") {
		t.Errorf("no colour on a terminal stdout: %q", out)
	}
	if errOut.Len() != 0 {
		t.Errorf("progress drawn into a piped stderr: %q", errOut)
	}
}
