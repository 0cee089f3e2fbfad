package promcheck_test

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/expr-lang/expr"
	"go.yaml.in/yaml/v3"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/checks/promcheck"
	"github.com/readyctl/readyctl/internal/probetest"
)

// probe decodes a `prometheus:` block the way the loader does (strictly,
// into the factory's defaults) and validates it.
func probe(t *testing.T, block string) *promcheck.Probe {
	t.Helper()
	p := promcheck.New()
	probetest.Load(t, p, block)
	return p
}

// outcome is what the report would show for a probe's error.
type outcome struct {
	Status, Reason, Message string
	Took                    time.Duration
	Obs                     checks.Observations
}

func run(t *testing.T, block string) outcome {
	t.Helper()
	return runTimeout(t, block, 10*time.Second)
}

func runTimeout(t *testing.T, block string, limit time.Duration) outcome {
	t.Helper()
	p := probe(t, block)
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	start := time.Now()
	obs, err := p.Run(ctx)
	o := outcome{Status: "pass", Took: time.Since(start), Obs: obs}
	if obs == nil {
		t.Fatalf("Run returned nil observations (err %v)", err)
	}
	if err != nil {
		o.Status, o.Reason, o.Message = "error", checks.Classify(err), err.Error()
		var f *checks.Failure
		if errors.As(err, &f) {
			o.Status = "fail"
		}
	}
	return o
}

// holds evaluates an expect: expression over the observations as the
// runner does (expr-lang, boolean result).
func holds(t *testing.T, obs checks.Observations, expression string) bool {
	t.Helper()
	prog, err := expr.Compile(expression, expr.Env(map[string]any(obs)), expr.AsBool())
	if err != nil {
		t.Fatalf("compile %q: %v", expression, err)
	}
	out, err := expr.Run(prog, map[string]any(obs))
	if err != nil {
		t.Fatalf("run %q: %v", expression, err)
	}
	return out.(bool)
}

// check asserts an outcome: status, reason, message fragments, and
// expressions that must hold (or, prefixed with "!", must not).
type want struct {
	Status, Reason string
	Contains       []string
	NotContains    []string
	Holds          []string
}

func (w want) check(t *testing.T, o outcome) {
	t.Helper()
	t.Logf("%s/%s in %s: %s", o.Status, o.Reason, o.Took.Round(time.Millisecond), o.Message)
	if o.Status != w.Status || (w.Reason != "" && o.Reason != w.Reason) {
		t.Fatalf("got %s/%s %q, want %s/%s\nobservations: %s", o.Status, o.Reason, o.Message, w.Status, w.Reason, dump(o.Obs))
	}
	for _, s := range w.Contains {
		if !strings.Contains(o.Message, s) {
			t.Errorf("message %q lacks %q", o.Message, s)
		}
	}
	for _, s := range w.NotContains {
		if strings.Contains(o.Message, s) {
			t.Errorf("message %q should not contain %q", o.Message, s)
		}
	}
	for _, e := range w.Holds {
		neg := strings.HasPrefix(e, "!")
		e = strings.TrimPrefix(e, "!")
		if holds(t, o.Obs, e) == neg {
			t.Errorf("expect %q: got %v, want %v\nobservations: %s", e, neg, !neg, dump(o.Obs))
		}
	}
}

func dump(obs checks.Observations) string {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	_ = enc.Encode(map[string]any(obs))
	return b.String()
}

// checkDocs requires a yaml and a doc tag on every field, nested too.
func checkDocs(t *testing.T, v any) {
	t.Helper()
	var walk func(reflect.Type, string)
	seen := map[reflect.Type]bool{}
	walk = func(typ reflect.Type, path string) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice || typ.Kind() == reflect.Map {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || seen[typ] || typ.PkgPath() == "time" {
			return
		}
		seen[typ] = true
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			if f.Tag.Get("yaml") == "" || f.Tag.Get("doc") == "" {
				t.Errorf("%s%s lacks a yaml or doc tag", path, f.Name)
			}
			walk(f.Type, path+f.Name+".")
		}
	}
	walk(reflect.TypeOf(v), "")
}
