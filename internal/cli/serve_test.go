package cli

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/readyctl/readyctl/internal/cmdutil"
)

// startServe runs `readyctl serve ARGS` in-process until the test ends
// and returns its base URL.
func startServe(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	streams, _, errOut := cmdutil.TestIOStreams(false)
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	f := &cmdutil.Factory{IO: streams, Settings: cmdutil.NewSettings("", lookup), LookupEnv: lookup}
	addr := make(chan string, 1)
	cmd := NewCmdServe(f, func(ctx context.Context, o *ServeOptions) error {
		o.Ready = func(a string) { addr <- a }
		o.Reload = make(chan struct{})
		return serveRun(ctx, o)
	})
	cmd.SetArgs(append([]string{"--listen", "127.0.0.1:0"}, args...))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve returned %v, want nil on shutdown", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
		}
	})
	select {
	case a := <-addr:
		return "http://" + a
	case err := <-done:
		t.Fatalf("serve did not start: %v\n%s", err, errOut.String())
	}
	return ""
}

func getBody(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServeNeverRunsIntrusive: even where the environment opted in to
// intrusive probes (which check would honour), serve skips them.
func TestServeNeverRunsIntrusive(t *testing.T) {
	var hits atomic.Int64
	srv := &http.Server{Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }), ReadHeaderTimeout: time.Second}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	addr := ln.Addr().String()
	path := writeFile(t, "c.yaml", `version: 1
name: intrusive
intrusive_environments: [prod]
environments:
  prod: {}
sections:
  - id: s
    items:
      - id: up
        tcp: {address: "`+addr+`"}
      - id: load
        load: {url: "http://`+addr+`/", rate: 20, duration: 1s}
`)
	base := startServe(t, nil, "-f", path, "--env", "prod", "--interval", "1h")
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body := getBody(t, base+"/ready")
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/ready: %d %s", code, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, rep := getBody(t, base+"/report")
	if !strings.Contains(rep, `"reason": "intrusive_not_allowed"`) || !strings.Contains(rep, "readyctl serve never runs it") {
		t.Errorf("load item not skipped by serve: %s", rep)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the load item sent %d requests under serve", n)
	}
}

// TestServeUsage: serve takes check's selection flags, not its output or
// wait flags; bad values are usage errors (exit 2) before anything listens.
func TestServeUsage(t *testing.T) {
	path := writeFile(t, "c.yaml", "version: 1\nname: u\nsections:\n  - id: s\n    phase: post-deploy\n    items:\n      - id: a\n        tcp: {address: \"127.0.0.1:1\"}\n")
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, []string{"--wait", "1m"}, "unknown flag: --wait"},
		{nil, []string{"--format", "json"}, "unknown flag: --format"},
		{nil, []string{"--allow-intrusive"}, "unknown flag: --allow-intrusive"},
		{nil, []string{"--interval", "0s"}, "--interval 0s: must be positive"},
		{map[string]string{"READYCTL_INTERVAL": "-1s"}, nil, "READYCTL_INTERVAL -1s: must be positive"},
		{nil, []string{"--listen", "9469"}, `--listen "9469": expected host:port`},
		{nil, []string{"--tls-cert", "c.pem"}, "--tls-cert and --tls-key go together"},
		{map[string]string{TokenEnv: ""}, nil, "READYCTL_SERVE_TOKEN is set but empty"},
		{nil, []string{"--phase", "pre-deploy"}, `unknown phase "pre-deploy"`},
		{nil, []string{"--only", "b"}, `unknown item "b"`},
		{nil, []string{"--concurrency", "0"}, "--concurrency 0: must be at least 1"},
	} {
		t.Run(tc.want, func(t *testing.T) { // runCLI's environment lasts a (sub)test
			code, _, stderr := runCLI(t, tc.env, append([]string{"serve", "-f", path, "--listen", "127.0.0.1:0"}, tc.args...)...)
			if code != ExitUsage || !strings.Contains(stderr, tc.want) {
				t.Errorf("serve %v %v: exit %d, stderr %q; want 2 and %q", tc.args, tc.env, code, stderr, tc.want)
			}
		})
	}
	code, _, stderr := runCLI(t, nil, "serve", "-f", writeFile(t, "bad.yaml", "version: 1\nname: x\nsections: [{id: s, items: [{id: a, htp: {}}]}]\n"), "--listen", "127.0.0.1:0")
	if code != ExitInvalid || !strings.Contains(stderr, "bad.yaml:3:") {
		t.Errorf("serve with an invalid checklist: exit %d, %s", code, stderr)
	}
}

// TestServeRereadsSignoffs: a sign-off recorded while serve runs turns
// /ready green at the next round, without a restart.
func TestServeRereadsSignoffs(t *testing.T) {
	path := writeFile(t, "checklist.yaml", `version: 1
name: signed
signoff:
  roles:
    - {id: qa-lead, title: QA Lead}
sections:
  - id: s
    items:
      - id: rollback-tested
        manual:
          roles: [qa-lead]
`)
	base := startServe(t, nil, "-f", path, "--interval", "100ms")
	waitReady := func(want int) string {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			code, body := getBody(t, base+"/ready")
			if code == want && !strings.Contains(body, "no_round_yet") {
				return body
			}
			if time.Now().After(deadline) {
				t.Fatalf("/ready: %d %s, want %d", code, body, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if body := waitReady(http.StatusServiceUnavailable); !strings.Contains(body, `"reason":"signoff_missing"`) {
		t.Errorf("before the sign-off: %s", body)
	}
	if code, out, errOut := runCLI(t, nil, "signoff", "rollback-tested", "-f", path, "--role", "qa-lead", "--name", "Ada Lovelace", "--email", "ada@example.com"); code != 0 {
		t.Fatalf("signoff: %d %s %s", code, out, errOut)
	}
	waitReady(http.StatusOK)
}
