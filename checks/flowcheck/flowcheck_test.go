package flowcheck_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/checks/flowcheck"
	"github.com/readyctl/readyctl/checks/flowcheck/flowtest"
	"github.com/readyctl/readyctl/checks/httpcheck"
	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/probetest"
)

func server(t *testing.T) (*flowtest.Service, string) {
	t.Helper()
	svc := flowtest.New()
	mux := http.NewServeMux()
	mux.Handle("/", svc)
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return svc, srv.URL
}

func load(t *testing.T, block string) *flowcheck.Probe {
	t.Helper()
	p := flowcheck.New()
	probetest.Load(t, p, block)
	return p
}

// run runs p as the runner does, collecting the secrets it declares.
func run(t *testing.T, p *flowcheck.Probe, timeout time.Duration) (checks.Observations, error, []string) {
	t.Helper()
	var mu sync.Mutex
	var secrets []string
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ctx = checks.WithSecrets(ctx, func(s string) { mu.Lock(); secrets = append(secrets, s); mu.Unlock() })
	obs, err := p.Run(ctx)
	kind, _ := checks.Lookup("flow")
	for _, problem := range checks.Undeclared(kind, obs) {
		t.Errorf("undeclared: %s", problem)
	}
	mu.Lock()
	defer mu.Unlock()
	return obs, err, secrets
}

func authFlow(base string) string {
	return strings.ReplaceAll(`
writes: true
steps:
  - name: register
    method: POST
    url: BASE/v1/auth/register
    json: {email: "qa-${run_id}-${uuid}@example.com", password: "pw-12345"}
    status: 201
    capture: {user_id: json.id, email: json.email}
  - name: login
    method: POST
    url: BASE/v1/auth/login
    json: {email: "${email}", password: "pw-12345"}
    status: 200
    capture: {token: json.token}
    expect: ['json.token_type == "Bearer"', 'cookies.session != nil']
  - name: me
    url: BASE/v1/auth/me
    headers: {Authorization: "Bearer ${token}"}
    expect: ['json.id == user_id', 'json.email == email']
cleanup:
  - name: delete-user
    method: DELETE
    url: BASE/v1/auth/users/${user_id}
    bearer_token: ${token}
    status: 204
`, "BASE", base)
}

// TestRegisterLoginReadCleanup: the flow passes against a real
// loopback service, deletes its user, and keeps the token and session
// cookie out of its observations while declaring them secrets.
func TestRegisterLoginReadCleanup(t *testing.T) {
	svc, base := server(t)
	p := load(t, authFlow(base))
	obs, err, secrets := run(t, p, 10*time.Second)
	if err != nil {
		t.Fatalf("flow failed: %v", err)
	}
	if n := svc.Users(); n != 0 {
		t.Errorf("%d users left after cleanup", n)
	}
	deleted, tokens, cookies := svc.Snapshot()
	if deleted != 1 || len(tokens) != 1 || len(cookies) != 1 {
		t.Fatalf("deleted %d, tokens %d, cookies %d", deleted, len(tokens), len(cookies))
	}
	for _, s := range []string{tokens[0], cookies[0]} {
		if !contains(secrets, s) {
			t.Errorf("%.12s... was not declared a secret", s)
		}
		probetest.Result{Obs: obs}.NoSecret(t, s)
	}
	caps := obs["captures"].(map[string]any)
	if caps["token"] != "***" || caps["user_id"] == "***" || caps["user_id"] == nil {
		t.Errorf("captures: %v", caps)
	}
	if obs["failed_step"] != nil || len(obs["steps"].([]any)) != 3 || obs["writes"] != true {
		t.Errorf("obs: %v", obs)
	}
	if st := obs["step"].(map[string]any)["me"].(map[string]any)["status"]; st != 200 {
		t.Errorf("step.me.status = %v", st)
	}
	if cl := obs["cleanup"].([]any)[0].(map[string]any); cl["status"] != 204 || cl["error"] != nil {
		t.Errorf("cleanup: %v", cl)
	}
	if pl := p.Plan(); !pl.Writes || pl.Requests < 4 {
		t.Errorf("plan: %+v", pl)
	}
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// TestFailingStepIsNamed: a flow failing at step 2 says which step, what
// it sent and what it saw, and stops there.
func TestFailingStepIsNamed(t *testing.T) {
	svc, base := server(t)
	svc.FailLogin = true
	obs, err, _ := run(t, load(t, authFlow(base)), 10*time.Second)
	var fl *checks.Failure
	if !errors.As(err, &fl) {
		t.Fatalf("want a failure, got %v", err)
	}
	want := `step 2 "login": POST ` + base + `/v1/auth/login: status 500, expected 200`
	if !strings.HasPrefix(fl.Message, want) {
		t.Errorf("message\n got %q\nwant prefix %q", fl.Message, want)
	}
	if obs["failed_step"] != "login" || len(obs["steps"].([]any)) != 2 {
		t.Errorf("failed_step %v, steps %v", obs["failed_step"], obs["steps"])
	}
	// Cleanup needs the token login never gave: skipped, said so.
	if cl := obs["cleanup"].([]any)[0].(map[string]any); !strings.Contains(cl["error"].(string), "skipped: ${token} was never captured") {
		t.Errorf("cleanup: %v", cl)
	}
}

// TestCleanupRunsAfterFailure: a step failing its expectation still
// leaves cleanup to delete what the flow created; the failure stays the
// item's message.
func TestCleanupRunsAfterFailure(t *testing.T) {
	svc, base := server(t)
	block := strings.Replace(authFlow(base), `'json.email == email'`, `'json.email == "someone-else@example.com"'`, 1)
	_, err, _ := run(t, load(t, block), 10*time.Second)
	if err == nil || !strings.Contains(err.Error(), `step 3 "me": GET `+base+`/v1/auth/me: json.email == "someone-else@example.com": json.email was "qa-`) {
		t.Fatalf("got %v", err)
	}
	if deleted, _, _ := svc.Snapshot(); deleted != 1 || svc.Users() != 0 {
		t.Errorf("cleanup did not delete the user: deleted %d, users %d", deleted, svc.Users())
	}
}

// TestCleanupAfterTimeout: a step that hangs until the deadline still
// leaves cleanup its share of the time.
func TestCleanupAfterTimeout(t *testing.T) {
	svc, base := server(t)
	block := strings.Replace(authFlow(base), "  - name: me\n", "  - name: hang\n    url: "+base+"/hang\n  - name: me\n", 1)
	start := time.Now()
	obs, err, _ := run(t, load(t, block), 2*time.Second)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) || checks.Classify(err) != checks.ReasonTimeout {
		t.Fatalf("want a timeout, got %v (%s)", err, checks.Classify(err))
	}
	if !strings.HasPrefix(err.Error(), `step 3 "hang": GET `+base+`/hang`) {
		t.Errorf("message %q", err)
	}
	if d := time.Since(start); d > 2500*time.Millisecond {
		t.Errorf("took %s with a 2s deadline", d)
	}
	if deleted, _, _ := svc.Snapshot(); deleted != 1 {
		t.Errorf("cleanup did not run after the timeout: %v", obs["cleanup"])
	}
}

// TestRunTimeValues: ${uuid} is fresh at each use, ${run_id} the same in
// every step and every flow of the run; $${ stays literal.
func TestRunTimeValues(t *testing.T) {
	_, base := server(t)
	block := `
steps:
  - url: BASE/echo?a=${uuid}&b=${uuid}&r=${run_id}
    headers: {X-Value: "$${literal}"}
    capture: {q1: json.query, x: json.x}
  - url: BASE/echo?r=${run_id}
    capture: {q2: json.query}
`
	block = strings.ReplaceAll(block, "BASE", base)
	var runs []map[string]any
	for range 2 {
		obs, err, _ := run(t, load(t, block), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, obs["captures"].(map[string]any))
	}
	q := map[string]string{}
	for _, kv := range strings.Split(runs[0]["q1"].(string), "&") {
		k, v, _ := strings.Cut(kv, "=")
		q[k] = v
	}
	if len(q["a"]) != 36 || q["a"] == q["b"] {
		t.Errorf("uuids %q %q: want two fresh ones", q["a"], q["b"])
	}
	if q["r"] == "" || runs[0]["q2"] != "r="+q["r"] || runs[1]["q2"] != "r="+q["r"] {
		t.Errorf("run_id not stable: %v / %v", runs[0], runs[1])
	}
	if runs[0]["q1"] == runs[1]["q1"] {
		t.Error("uuid repeated across runs")
	}
	if runs[0]["x"] != "${literal}" {
		t.Errorf("$${ gave %q", runs[0]["x"])
	}
}

// authorization is two users; B reads A's account and must be refused.
func authorization(base string) string {
	return strings.ReplaceAll(`
writes: true
steps:
  - {name: register-a, method: POST, url: BASE/v1/auth/register, json: {email: "qa-${run_id}-a@example.com", password: "pw-a-123"}, status: 201, capture: {a_id: json.id}}
  - {name: login-a, method: POST, url: BASE/v1/auth/login, json: {email: "qa-${run_id}-a@example.com", password: "pw-a-123"}, capture: {a_token: json.token}}
  - {name: register-b, method: POST, url: BASE/v1/auth/register, json: {email: "qa-${run_id}-b@example.com", password: "pw-b-123"}, status: 201, capture: {b_id: json.id}}
  - {name: login-b, method: POST, url: BASE/v1/auth/login, json: {email: "qa-${run_id}-b@example.com", password: "pw-b-123"}, capture: {b_token: json.token}}
  - {name: a-reads-own, url: "BASE/v1/accounts/${a_id}", bearer_token: "${a_token}", status: 200, expect: ['json.user_id == a_id']}
  - {name: b-reads-a, url: "BASE/v1/accounts/${a_id}", bearer_token: "${b_token}", status: [403, 404]}
cleanup:
  - {method: DELETE, url: "BASE/v1/auth/users/${a_id}", bearer_token: "${a_token}", status: 204}
  - {method: DELETE, url: "BASE/v1/auth/users/${b_id}", bearer_token: "${b_token}", status: 204}
`, "BASE", base)
}

// TestAuthorizationIsExpressible: B reading A's account gets 403; with a
// broken authorization layer the same flow fails at that step.
func TestAuthorizationIsExpressible(t *testing.T) {
	svc, base := server(t)
	if _, err, _ := run(t, load(t, authorization(base)), 10*time.Second); err != nil {
		t.Fatalf("healthy service: %v", err)
	}
	if svc.Users() != 0 {
		t.Errorf("%d users left", svc.Users())
	}
	svc.AuthBypass = true
	_, err, _ := run(t, load(t, authorization(base)), 10*time.Second)
	if err == nil || !strings.Contains(err.Error(), `step 6 "b-reads-a": GET `+base+`/v1/accounts/`) || !strings.Contains(err.Error(), "status 200, expected 403, 404") {
		t.Errorf("auth bypass: %v", err)
	}
}

func parse(src string) error {
	_, err := checklist.Parse("c.yaml", []byte(src), checklist.Options{LookupEnv: func(string) (string, bool) { return "", false }})
	return err
}

// TestLoadErrors: mistakes in a flow are invalid checklists with a
// position, not failures at run time.
func TestLoadErrors(t *testing.T) {
	head := "version: 1\nvars: {api: 'http://127.0.0.1:1'}\nsections:\n  - id: s\n    items:\n      - id: f\n        flow:\n"
	for _, c := range []struct{ block, want string }{
		{"          steps:\n            - {name: reg, method: POST, url: '${api}/r'}\n",
			`c.yaml:9:35: item "f": flow.steps[0].method: POST (steps[0] "reg") may change the target: add writes: true`},
		{"          cleanup:\n            - {url: '${api}/x'}\n", `item "f": flow.steps: at least one step is required`},
		{"          steps:\n            - {url: '${api}/a/${token}'}\n            - {url: '${api}/b', capture: {token: json.t}}\n",
			`c.yaml:9:21: item "f": flow.steps[0].url: ${token} is used before a step captures it`},
		{"          steps:\n            - {url: '${api}/a/${nope}'}\n", `c.yaml:9:31: item "f": undefined variable ${nope}`},
		{"          steps:\n            - {url: '${api}/a', expect: ['status == \"200\"']}\n",
			`c.yaml:9:42: item "f": flow.steps[0].expect[0]: type mismatch: == cannot be applied to an int and a string`},
		{"          steps:\n            - {url: '${api}/a', capture: {t: jsn.t}}\n", `flow.steps[0].capture.t: unknown name "jsn" (did you mean "json"?)`},
		{"          steps:\n            - {url: '${api}/a', capture: {status: json.t}}\n", `flow.steps[0].capture: capture name "status" is taken`},
		{"          steps:\n            - {url: '${api}/a', rate_limit: {requests: 5}}\n", `flow.steps[0]: rate_limit and injection are not available`},
	} {
		err := parse(head + c.block)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v\nwant %s", err, c.want)
		}
	}
	// ${run_id} outside the flow block is not a run-time name.
	err := parse("version: 1\nsections:\n  - id: s\n    items:\n      - id: f\n        title: 'x ${run_id}'\n        flow: {steps: [{url: 'http://h/${run_id}'}]}\n")
	if err == nil || !strings.Contains(err.Error(), "undefined variable ${run_id}") || strings.Count(err.Error(), "undefined") != 1 {
		t.Errorf("title: %v", err)
	}
}

// TestCleanupAfterInterrupt: Ctrl-C during a step still deletes the test
// user, within cleanup's share of the time, and the flow ends promptly.
func TestCleanupAfterInterrupt(t *testing.T) {
	svc, base := server(t)
	block := strings.Replace(authFlow(base), "  - name: me\n", "  - name: hang\n    url: "+base+"/hang\n  - name: me\n", 1)
	p := load(t, block)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	go func() {
		for svc.Users() == 0 {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(50 * time.Millisecond) // into the hanging step
		cancel()
	}()
	start := time.Now()
	_, err := p.Run(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("want cancelled, got %v", err)
	}
	if d := time.Since(start); d > 6*time.Second {
		t.Errorf("took %s after Ctrl-C", d)
	}
	if deleted, _, _ := svc.Snapshot(); deleted != 1 {
		t.Error("cleanup did not run after Ctrl-C")
	}
}

// TestLoaderLeavesRunTimeNames: in a flow block the loader resolves vars
// and ${env:} but leaves ${run_id}, ${uuid}, captures and $${ for the
// probe; elsewhere $${ is undone at load as always.
func TestLoaderLeavesRunTimeNames(t *testing.T) {
	src := `version: 1
vars: {api: 'http://127.0.0.1:1', token: from-vars}
sections:
  - id: s
    items:
      - id: f
        flow:
          steps:
            - {url: '${api}/login', capture: {token: json.t}}
            - {url: '${api}/u/${run_id}/${uuid}/${token}', headers: {X-Lit: '$${literal}', X-Env: '${env:E}'}}
      - id: h
        http: {url: '${api}/', headers: {X-Lit: '$${literal}'}}
`
	cl, err := checklist.Parse("c.yaml", []byte(src), checklist.Options{LookupEnv: func(string) (string, bool) { return "env-value", true }})
	if err != nil {
		t.Fatal(err)
	}
	step := cl.Items()[0].Probe.(*flowcheck.Probe).Steps[1]
	if step.URL != "http://127.0.0.1:1/u/${run_id}/${uuid}/${token}" || step.Headers["X-Lit"] != "$${literal}" || step.Headers["X-Env"] != "env-value" {
		t.Errorf("flow step: %q %v", step.URL, step.Headers)
	}
	if h := cl.Items()[1].Probe.(*httpcheck.Probe).Headers["X-Lit"]; h != "${literal}" {
		t.Errorf("http item: %q", h)
	}
}

// TestStreamingStep: a step has every field of the http kind, stream: sse
// included, and its expectations see the stream's observations.
func TestStreamingStep(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for _, d := range []string{`{"choices":[{"delta":{"content":"a"}}]}`, `{"choices":[{"delta":{"content":"b"}}]}`, "[DONE]"} {
			fmt.Fprintf(w, "data: %s\n\n", d)
		}
	}))
	defer srv.Close()
	p := load(t, "writes: true\nsteps:\n  - {method: POST, url: '"+srv.URL+"', json: {stream: true}, stream: sse, expect: ['events == 2', 'done', 'data[1].choices[0].delta.content == \"b\"']}\n")
	if _, err, _ := run(t, p, 5*time.Second); err != nil {
		t.Fatal(err)
	}
}
