// Package probetest holds what tests of probe kinds share: running a probe
// under a deadline, asserting the status and message the runner would
// give, and checking that a secret leaked into neither. Tests only.
package probetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/checklist"
)

// Decode configures p from a probe block given as YAML, exactly as the
// checklist loader does (strict, onto the factory's defaults), without
// calling Validate; the test fails on a decoding error.
func Decode(t testing.TB, p checks.Probe, src string) {
	t.Helper()
	if err := checklist.DecodeBlock(src, p); err != nil {
		t.Fatalf("decode %q: %v", src, err)
	}
}

// Load is Decode followed by Validate, failing the test on either.
func Load(t testing.TB, p checks.Probe, src string) {
	t.Helper()
	Decode(t, p, src)
	if err := p.Validate(); err != nil {
		t.Fatalf("validate %q: %v", src, err)
	}
}

// Result is one run of a probe.
type Result struct {
	Obs     checks.Observations
	Err     error
	Elapsed time.Duration
}

// Run runs p under timeout and fails the test if secret (when not empty)
// appears in its observations or error, or the observations do not
// marshal to JSON.
func Run(t testing.TB, p checks.Probe, timeout time.Duration, secret string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	obs, err := p.Run(ctx)
	r := Result{Obs: obs, Err: err, Elapsed: time.Since(start)}
	r.NoSecret(t, secret)
	Declared(t, p, obs)
	return r
}

// Declared fails the test for every observation the kind of p does not
// declare (checks/<kind>check/observations.go), or declares with another
// type: `expect:` is type-checked against the declarations at load.
func Declared(t testing.TB, p checks.Probe, obs checks.Observations) {
	t.Helper()
	for _, name := range checks.Names() {
		k, _ := checks.Lookup(name)
		if reflect.TypeOf(k.New()) != reflect.TypeOf(p) {
			continue
		}
		for _, problem := range checks.Undeclared(k, obs) {
			t.Errorf("%s (declare it in observations.go)", problem)
		}
		return
	}
}

// NoSecret fails the test if secret (when not empty) appears in the
// observations or the error, or the observations do not marshal to JSON.
func (r Result) NoSecret(t testing.TB, secret string) {
	t.Helper()
	b, jerr := json.Marshal(r.Obs)
	if jerr != nil {
		t.Errorf("observations do not marshal to JSON: %v", jerr)
	}
	if secret != "" {
		if strings.Contains(string(b), secret) || strings.Contains(fmt.Sprint(r.Obs), secret) {
			t.Errorf("secret in observations: %s", b)
		}
		if r.Err != nil && strings.Contains(r.Err.Error(), secret) {
			t.Errorf("secret in error: %v", r.Err)
		}
	}
}

// Status is the item status the runner would give: pass, fail or error.
func (r Result) Status() string {
	var f *checks.Failure
	switch {
	case r.Err == nil:
		return "pass"
	case errors.As(r.Err, &f):
		return "fail"
	}
	return "error"
}

// Reason is the reason code the runner would give.
func (r Result) Reason() string { return checks.Classify(r.Err) }

// Want asserts the status and that the message contains every fragment.
func (r Result) Want(t testing.TB, status string, fragments ...string) {
	t.Helper()
	t.Logf("%s/%s: %v", r.Status(), r.Reason(), r.Err)
	if got := r.Status(); got != status {
		t.Fatalf("status %s (reason %q, err %v), want %s; observations %v", got, r.Reason(), r.Err, status, r.Obs)
	}
	msg := ""
	if r.Err != nil {
		msg = r.Err.Error()
	}
	for _, f := range fragments {
		if !strings.Contains(msg, f) {
			t.Errorf("message %q does not contain %q", msg, f)
		}
	}
}

// SilentServer listens on a loopback port, accepts every connection and
// never answers, until the test ends; it returns host:port. A probe
// against it can only end by its own deadline.
func SilentServer(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	return l.Addr().String()
}
