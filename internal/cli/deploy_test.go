package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/readyctl/readyctl/internal/cmdutil"
	"github.com/readyctl/readyctl/internal/report"
)

// flipServer is a loopback service a deploy script controls through files
// in its directory, the way a real deploy stops and starts a process:
// `down` closes the listener (connections refused) until it is removed,
// then the server listens again on the same port; `version` is served as
// json.version; `broken` answers 500; `slow` (a duration) delays answers.
// It records when it was really down: the truth the deploy's measured
// downtime is held to.
type flipServer struct {
	URL, dir string
	addr     string

	mu      sync.Mutex
	windows [][2]time.Time // down, up
}

func startFlip(t *testing.T) *flipServer {
	t.Helper()
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &flipServer{dir: dir, addr: l.Addr().String(), URL: "http://" + l.Addr().String()}
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if b, err := os.ReadFile(filepath.Join(dir, "slow")); err == nil {
			if d, err := time.ParseDuration(strings.TrimSpace(string(b))); err == nil {
				time.Sleep(d)
			}
		}
		version := "v1"
		if b, err := os.ReadFile(filepath.Join(dir, "version")); err == nil {
			version = strings.TrimSpace(string(b))
		}
		status := 200
		if _, err := os.Stat(filepath.Join(dir, "broken")); err == nil {
			status = 500
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"status":"ok","version":%q}`, version)
	})
	serve := func(l net.Listener) *http.Server {
		s := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
		go s.Serve(l) //nolint:errcheck
		return s
	}
	srv := serve(l)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var downAt time.Time
		for {
			select {
			case <-stop:
				if srv != nil {
					srv.Close()
				}
				return
			case <-time.After(2 * time.Millisecond):
			}
			_, err := os.Stat(filepath.Join(dir, "down"))
			switch {
			case err == nil && srv != nil:
				srv.Close()
				srv, downAt = nil, time.Now()
			case err != nil && srv == nil:
				l, lerr := net.Listen("tcp", f.addr)
				if lerr != nil {
					continue // the port is not free yet: try again
				}
				srv = serve(l)
				f.mu.Lock()
				f.windows = append(f.windows, [2]time.Time{downAt, time.Now()})
				f.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-done })
	return f
}

// downtime is the real time the server was down.
func (f *flipServer) downtime() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	var total time.Duration
	for _, w := range f.windows {
		total += w[1].Sub(w[0])
	}
	return total
}

func (f *flipServer) script(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(f.dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\nset -e\ncd "+f.dir+"\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

const deployChecklist = `version: 1
name: Deploy e2e
vars:
  url: http://127.0.0.1:1
sections:
  - id: before
    title: Before
    phase: pre-deploy
    items:
      - id: api-up
        http: {url: "${url}/health"}
  - id: watch
    title: While deploying
    phase: during
    items:
      - id: api-live
        timeout: 300ms
        http: {url: "${url}/health"}
  - id: after
    title: After
    phase: post-deploy
    items:
      - id: api-v2
        timeout: 2s
        http:
          url: "${url}/health"
          expect: ['json.version == "v2"']
`

type deployJSON struct {
	Verdict    string        `json:"verdict"`
	Items      []report.Item `json:"items"`
	Deployment *struct {
		report.Deployment
	} `json:"deployment"`
	Interrupted bool `json:"interrupted"`
}

func decodeDeploy(t *testing.T, stdout string) deployJSON {
	t.Helper()
	var out deployJSON
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("stdout is not a JSON report: %v\n%s", err, stdout)
	}
	if out.Deployment == nil {
		t.Fatalf("no deployment block:\n%s", stdout)
	}
	return out
}

func item(t *testing.T, items []report.Item, id string) report.Item {
	t.Helper()
	for _, it := range items {
		if it.ID == id {
			return it
		}
	}
	t.Fatalf("no item %q", id)
	return report.Item{}
}

// TestDeployMeasuresDowntime deploys a real loopback service with a script
// that stops it for 1.5s and starts version 2: the measured downtime is
// within one interval of the time the server was really down, the
// duration is the script's, the post-deploy phase converges, and the
// record says all of it in every format.
func TestDeployMeasuresDowntime(t *testing.T) {
	srv := startFlip(t)
	cl := writeFile(t, "c.yaml", deployChecklist)
	// The sampler starts with the command: stopping the service half an
	// interval in puts the truth between two samples, not just after one.
	deploySh := srv.script(t, "deploy.sh", "echo deploying v2\nsleep 0.05\ntouch down\nsleep 1.5\necho v2 > version\nrm down")
	const interval = 100 * time.Millisecond
	prom := filepath.Join(t.TempDir(), "run.prom")
	md := filepath.Join(t.TempDir(), "run.md")
	start := time.Now()
	code, stdout, stderr := runCLI(t, nil, "deploy", "-f", cl, "--var", "url="+srv.URL, "--interval", interval.String(),
		"--converge", "10s", "--format", "json", "-o", "prometheus="+prom, "-o", "markdown="+md, "--", deploySh)
	elapsed := time.Since(start)
	if code != 0 {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "deploying v2") {
		t.Errorf("the command's output is not passed through to stderr:\n%s", stderr)
	}
	rep := decodeDeploy(t, stdout)
	d := rep.Deployment
	truth := srv.downtime()
	measured := time.Duration(d.DowntimeMS) * time.Millisecond
	t.Logf("downtime: measured %s, real %s; duration %s", measured, truth, time.Duration(d.DurationMS)*time.Millisecond)
	srv.mu.Lock()
	for _, w := range srv.windows {
		for _, o := range d.Outages {
			t.Logf("outage starts %s after the server went down, ends %s after it came back", o.Start.Sub(w[0]), o.End.Sub(w[1]))
		}
	}
	srv.mu.Unlock()
	if truth < 1400*time.Millisecond || truth > 2*time.Second {
		t.Fatalf("the server was down %s; the script should have stopped it for about 1.5s", truth)
	}
	// One interval of sampling, plus the probe's own latency: a sample is
	// stamped when it starts, and on a loaded machine a connect can come
	// tens of milliseconds after that.
	if diff := (measured - truth).Abs(); diff > interval+50*time.Millisecond {
		t.Errorf("measured downtime %s is %s from the real %s: more than one interval (%s) plus probe latency", measured, diff, truth, interval)
	}
	if dur := time.Duration(d.DurationMS) * time.Millisecond; dur < 1550*time.Millisecond || dur > 2500*time.Millisecond || dur > elapsed {
		t.Errorf("duration %s: the script sleeps 1.55s (whole run %s)", dur, elapsed)
	}
	if d.Outcome != report.OutcomeDeployed || rep.Verdict != report.Ready || d.RolledBack || d.ConvergedMS == nil {
		t.Errorf("outcome %q verdict %q rolled_back %v converged %v: want deployed, ready, not rolled back, converged", d.Outcome, rep.Verdict, d.RolledBack, d.ConvergedMS)
	}
	if len(d.Outages) != 1 || d.Outages[0].Item != "api-live" {
		t.Errorf("outages %+v: want one of api-live", d.Outages)
	}
	if d.ExitCode == nil || *d.ExitCode != 0 || d.Issues != (report.Issues{}) {
		t.Errorf("exit code %v, issues %+v", d.ExitCode, d.Issues)
	}
	if it := item(t, rep.Items, "api-v2"); it.Status != report.Pass {
		t.Errorf("api-v2 %s: %s", it.Status, it.Message)
	}
	promText, _ := os.ReadFile(prom)
	for _, want := range []string{"readyctl_deployment_duration_seconds", "readyctl_deployment_downtime_seconds", "readyctl_deployment_rolled_back{checklist=\"Deploy e2e\"} 0", "readyctl_deployment_converged_seconds"} {
		if !strings.Contains(string(promText), want) {
			t.Errorf("prometheus output lacks %q:\n%s", want, promText)
		}
	}
	mdText, _ := os.ReadFile(md)
	if !strings.Contains(string(mdText), "### Deployment") || !strings.Contains(string(mdText), "outage: api-live") {
		t.Errorf("markdown lacks the deployment record:\n%s", mdText)
	}
}

// TestDeployRollsBack: a deploy that leaves the service broken runs
// --rollback, measures it, and ends with the rollback's verdict; the exit
// code is 1 because the deployment did not succeed.
func TestDeployRollsBack(t *testing.T) {
	srv := startFlip(t)
	cl := writeFile(t, "c.yaml", strings.ReplaceAll(deployChecklist, `expect: ['json.version == "v2"']`, `status: 200`))
	deploySh := srv.script(t, "deploy.sh", "echo v2 > version\ntouch broken")
	code, stdout, stderr := runCLI(t, nil, "deploy", "-f", cl, "--var", "url="+srv.URL, "--interval", "100ms",
		"--converge", "1s", "--rollback", "sleep 0.3; rm "+filepath.Join(srv.dir, "broken"), "--format", "json", "--", deploySh)
	if code != 1 {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	rep := decodeDeploy(t, stdout)
	d := rep.Deployment
	if !d.RolledBack || d.Outcome != report.OutcomeRolledBack || d.RollbackExitCode == nil || *d.RollbackExitCode != 0 {
		t.Errorf("rolled_back %v outcome %q rollback exit %v", d.RolledBack, d.Outcome, d.RollbackExitCode)
	}
	if d.RollbackDurationMS < 300 || d.RollbackDurationMS > 2000 {
		t.Errorf("rollback took %d ms; the rollback sleeps 0.3s", d.RollbackDurationMS)
	}
	if it := item(t, rep.Items, "api-v2"); it.Status != report.Pass {
		t.Errorf("after the rollback api-v2 is %s (%s): the report must show the system as the rollback left it", it.Status, it.Message)
	}
	for _, want := range []string{"post-deploy phase not ready", "rolled back", "ready after the rollback"} {
		if !strings.Contains(d.Reason, want) {
			t.Errorf("reason %q lacks %q", d.Reason, want)
		}
	}
	if rep.Verdict != report.NotReady {
		t.Errorf("verdict %q: a rolled-back deployment is never ready", rep.Verdict)
	}
}

// TestDeployStopsWhenPreDeployIsNotReady: the command never runs.
func TestDeployStopsWhenPreDeployIsNotReady(t *testing.T) {
	srv := startFlip(t)
	cl := writeFile(t, "c.yaml", deployChecklist)
	marker := filepath.Join(srv.dir, "ran")
	deploySh := srv.script(t, "deploy.sh", "touch "+marker)
	code, stdout, _ := runCLI(t, nil, "deploy", "-f", cl, "--var", "url=http://127.0.0.1:1", "--interval", "100ms", "--format", "json", "--", deploySh)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the deploy command ran although pre-deploy was not ready")
	}
	d := decodeDeploy(t, stdout).Deployment
	if d.Outcome != report.OutcomeStopped || d.ExitCode != nil || !strings.Contains(d.Reason, "--force") {
		t.Errorf("outcome %q exit %v reason %q", d.Outcome, d.ExitCode, d.Reason)
	}
}

// TestDeployCommandFailure: the command's exit code is in the record and
// the message, and the run is not ready.
func TestDeployCommandFailure(t *testing.T) {
	srv := startFlip(t)
	cl := writeFile(t, "c.yaml", deployChecklist)
	code, stdout, _ := runCLI(t, nil, "deploy", "-f", cl, "--var", "url="+srv.URL, "--interval", "100ms", "--format", "json", "--", srv.script(t, "deploy.sh", "exit 7"))
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	d := decodeDeploy(t, stdout).Deployment
	if d.Outcome != report.OutcomeFailed || d.ExitCode == nil || *d.ExitCode != 7 || !strings.Contains(d.Reason, "exit code 7") {
		t.Errorf("outcome %q exit %v reason %q", d.Outcome, d.ExitCode, d.Reason)
	}
}

// TestDeployInterrupted: Ctrl-C reaches the command (its process group
// gets SIGINT), readyctl reports what it measured and exits 130.
func TestDeployInterrupted(t *testing.T) {
	srv := startFlip(t)
	cl := writeFile(t, "c.yaml", deployChecklist)
	marker := filepath.Join(srv.dir, "got-int")
	started := filepath.Join(srv.dir, "started")
	deploySh := srv.script(t, "deploy.sh", "trap 'touch "+marker+"; exit 130' INT\ntouch "+started+"\nwhile :; do sleep 0.05; done")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			if _, err := os.Stat(started); err == nil {
				time.Sleep(300 * time.Millisecond)
				cancel()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	streams, out, errOut := cmdutil.TestIOStreams(false)
	code := Main(ctx, []string{"deploy", "-f", cl, "--var", "url=" + srv.URL, "--interval", "100ms", "--format", "json", "--", deploySh}, streams)
	if code != 130 {
		t.Fatalf("exit %d, want 130\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Error("the deploy command did not receive SIGINT")
	}
	rep := decodeDeploy(t, out.String())
	if !rep.Interrupted || rep.Deployment.Outcome != report.OutcomeInterrupted || rep.Deployment.DurationMS < 250 {
		t.Errorf("interrupted %v outcome %q duration %d", rep.Interrupted, rep.Deployment.Outcome, rep.Deployment.DurationMS)
	}
}

// TestDeployBaselineSlowerVersion: the post-deploy item compares its
// latency with the same item measured before the deploy; a slower new
// version fails, with the change in percent in the message.
func TestDeployBaselineSlowerVersion(t *testing.T) {
	srv := startFlip(t)
	cl := writeFile(t, "c.yaml", strings.ReplaceAll(deployChecklist, `expect: ['json.version == "v2"']`, `expect: ['latency < baseline.latency * 1.2 + duration("20ms")']`))
	deploySh := srv.script(t, "deploy.sh", "echo v2 > version\necho 200ms > slow")
	code, stdout, stderr := runCLI(t, nil, "deploy", "-f", cl, "--var", "url="+srv.URL, "--interval", "100ms", "--converge", "1s", "--format", "json", "--", deploySh)
	if code != 1 {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	rep := decodeDeploy(t, stdout)
	it := item(t, rep.Items, "api-v2")
	if it.Status != report.Fail || !strings.Contains(it.Message, "against the baseline") || !strings.Contains(it.Message, "%") {
		t.Errorf("api-v2 %s: %q; want a failure saying how latency changed against the baseline", it.Status, it.Message)
	}
	c, ok := rep.Deployment.PerformanceChange["api-v2.latency"]
	if !ok || c.Percent < 100 {
		t.Errorf("performance_change %+v: want api-v2.latency up by far more than 100%%", rep.Deployment.PerformanceChange)
	}
	if rep.Deployment.Outcome != report.OutcomeNotConverged {
		t.Errorf("outcome %q", rep.Deployment.Outcome)
	}
}
