package checklist_test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/readyctl/readyctl/checks/httpcheck"
	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/expect"
)

const interp = `version: 1
name: ${name}
vars:
  name: Interp
  api: http://vars.example
  port: "80"
  url: ${api}:${port}
environments:
  production:
    api: http://prod.example
defaults:
  timeout: 3s
  retries: 1
  severity: warning
sections:
  - id: s
    phase: pre-deploy
    items:
      - id: a
        timeout: 1s
        http:
          url: ${url}/health
          headers:
            X-Token: ${env:TOKEN}
            X-Region: ${env:REGION:-eu}
            X-Literal: $${not-a-var}
      - id: b
        phase: post-deploy
        severity: critical
        tcp: {address: "127.0.0.1:1"}
`

func parse(t *testing.T, src string, opts checklist.Options) *checklist.Checklist {
	t.Helper()
	if opts.LookupEnv == nil {
		opts.LookupEnv = func(k string) (string, bool) {
			v, ok := map[string]string{"TOKEN": "tok-123"}[k]
			return v, ok
		}
	}
	cl, err := checklist.Parse("c.yaml", []byte(src), opts)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return cl
}

func TestInterpolationPrecedence(t *testing.T) {
	for _, c := range []struct {
		opts checklist.Options
		want string
	}{
		{checklist.Options{}, "http://vars.example:80/health"},
		{checklist.Options{Env: "production"}, "http://prod.example:80/health"},
		{checklist.Options{Env: "production", Vars: map[string]string{"api": "http://cli.example"}}, "http://cli.example:80/health"},
	} {
		cl := parse(t, interp, c.opts)
		p := cl.Items()[0].Probe.(*httpcheck.Probe)
		if p.URL != c.want {
			t.Errorf("%+v: url %q, want %q", c.opts, p.URL, c.want)
		}
		want := map[string]string{"X-Token": "tok-123", "X-Region": "eu", "X-Literal": "${not-a-var}"}
		if !reflect.DeepEqual(p.Headers, want) {
			t.Errorf("headers %v", p.Headers)
		}
	}
	cl := parse(t, interp, checklist.Options{})
	if cl.Name != "Interp" || !reflect.DeepEqual(cl.Secrets, []string{"tok-123"}) {
		t.Errorf("name %q secrets %v", cl.Name, cl.Secrets)
	}
}

func TestDefaultsAndPhases(t *testing.T) {
	cl := parse(t, interp, checklist.Options{})
	a, b := cl.Items()[0], cl.Items()[1]
	if a.Timeout != time.Second || a.Retries != 1 || a.Severity != checklist.Warning || a.Phase != "pre-deploy" || a.RetryDelay != time.Second {
		t.Errorf("a: %+v", a)
	}
	if b.Timeout != 3*time.Second || b.Severity != checklist.Critical || b.Phase != "post-deploy" {
		t.Errorf("b: %+v", b)
	}
	if a.Raw == nil || cl.Doc == nil {
		t.Error("raw definitions not kept")
	}
}

func TestLoadErrors(t *testing.T) {
	for _, c := range []struct {
		name, src string
		opts      checklist.Options
		want      string
	}{
		{"unknown env", interp, checklist.Options{Env: "qa"}, `c.yaml:9:3: environment "qa" is not defined under environments: (defined: production)`},
		{"unset env var", strings.Replace(interp, "${env:TOKEN}", "${env:NOT_SET_X}", 1), checklist.Options{}, `c.yaml:24:22: item "a": environment variable NOT_SET_X is not set`},
		{"unterminated", strings.Replace(interp, "${url}/health", "${url/health", 1), checklist.Options{}, `c.yaml:22:16: item "a": unterminated reference`},
		{"bad min_pass_rate", strings.Replace(interp, "phase: pre-deploy", "min_pass_rate: 1.5", 1), checklist.Options{}, `c.yaml:17:20: min_pass_rate 1.5 must be between 0 and 1`},
		{"wrong type", strings.Replace(interp, "retries: 1", "retries: many", 1), checklist.Options{}, `c.yaml:13:12: defaults.retries: expected an integer, got "many"`},
		{"field typo in item", strings.Replace(interp, "timeout: 1s", "timout: 1s", 1), checklist.Options{}, `c.yaml:20:9: item "a": unknown field "timout" (did you mean "timeout"?)`},
		{"self loop var", strings.Replace(interp, "name: Interp", "name: ${name}", 1), checklist.Options{}, `refers to itself`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.opts.LookupEnv == nil {
				c.opts.LookupEnv = func(k string) (string, bool) { return "v", k == "TOKEN" }
			}
			_, err := checklist.Parse("c.yaml", []byte(c.src), c.opts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v\nwant %s", err, c.want)
			}
			if _, ok := err.(checklist.Errors); !ok {
				t.Errorf("error type %T, want checklist.Errors", err)
			}
		})
	}
}

func TestExpectationMessages(t *testing.T) {
	for src, want := range map[string]string{
		`status == 200`:               `status == 200: status was 503`,
		`json.status == "ok"`:         `json.status == "ok": json.status was "down"`,
		`latency < duration("100ms")`: `latency < duration("100ms"): latency was 2s`,
		`headers["x-id"] != ""`:       `headers["x-id"] != "": headers["x-id"] was ""`,
		`status in [200, 204] && ok`:  `status in [200, 204] && ok: status was 503, ok was false`,
		`missing > 1`:                 `missing > 1: missing was nil`,
		`all(result, # < 2)`:          `all(result, # < 2): result was [1 3]`,
	} {
		e, err := expect.Compile(src, nil)
		if err != nil {
			t.Fatal(err)
		}
		ok, msg, _ := e.Eval(context.Background(), map[string]any{
			"status": 503, "latency": 2 * time.Second, "json": map[string]any{"status": "down"},
			"headers": map[string]any{"x-id": ""}, "ok": false, "result": []any{1, 3},
		})
		if ok || !strings.HasPrefix(msg, want) {
			t.Errorf("%s: %v %q, want prefix %q", src, ok, msg, want)
		}
	}
	e, _ := expect.Compile(`status == 200`, nil)
	if ok, _, _ := e.Eval(context.Background(), map[string]any{"status": 200}); !ok {
		t.Error("true expression failed")
	}
}

// TestNegativeDurationsAreRefused: no probe ever sees a negative duration;
// the loader points at it.
func TestNegativeDurationsAreRefused(t *testing.T) {
	src := "version: 1\nsections:\n  - id: s\n    items:\n      - id: a\n        http: {url: 'http://x', max_latency: -1s}\n"
	_, err := checklist.Parse("c.yaml", []byte(src), checklist.Options{})
	want := `c.yaml:6:46: item "a": http.max_latency: negative duration "-1s": must be 0 or more`
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

// A plain ${n} in a number or boolean field reads as what it expands to,
// as if written there; a quoted one stays a string, and an expansion that
// is not a number (or is empty) is refused, never taken as "not set".
func TestInterpolatedNumbersAndBooleans(t *testing.T) {
	src := func(vars, retries, exclusive string) string {
		return "version: 1\nname: n\nvars: {" + vars + "}\nsections:\n  - id: s\n    items:\n" +
			"      - id: a\n        retries: " + retries + "\n        exclusive: " + exclusive + "\n        tcp: {address: \"127.0.0.1:1\"}\n"
	}
	cl := parse(t, src(`n: "2", x: "true"`, "${n}", "${x}"), checklist.Options{})
	if it := cl.Items()[0]; it.Retries != 2 || !it.Exclusive {
		t.Errorf("retries %d, exclusive %v: want 2, true", it.Retries, it.Exclusive)
	}
	for _, tc := range []struct{ vars, retries, want string }{
		{`n: "2"`, `"${n}"`, `retries: expected an integer, got "2"`},
		{`n: "1.9"`, "${n}", `retries: expected an integer, got "1.9"`},
		{`n: ""`, "${n}", `retries: expected an integer, got ""`},
		{`n: "null"`, "${n}", `retries: expected an integer, got "null"`},
		{`n: "two"`, "${n}", `retries: expected an integer, got "two"`},
	} {
		_, err := checklist.Parse("c.yaml", []byte(src(tc.vars, tc.retries, "false")), checklist.Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("vars {%s}, retries: %s: got %v, want %q", tc.vars, tc.retries, err, tc.want)
		}
	}
}
