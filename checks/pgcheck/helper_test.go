package pgcheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/readyctl/readyctl/checks"
)

// secret is the superuser password of the test servers. No message or
// observation may ever contain it.
const secret = "Sup3r-s3cret-pw"

// decode builds a probe the way the loader does: defaults, strict decode,
// Validate.
func decode(t *testing.T, dsn, opts string) *Probe {
	t.Helper()
	p := New()
	if strings.TrimSpace(opts) != "" {
		dec := yaml.NewDecoder(strings.NewReader(opts))
		dec.KnownFields(true)
		if err := dec.Decode(p); err != nil {
			t.Fatalf("decode %q: %v", opts, err)
		}
	}
	p.DSN = dsn
	if err := p.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	return p
}

type result struct {
	obs     checks.Observations
	err     error
	elapsed time.Duration
}

// run runs a probe under a deadline and checks that the password leaked
// nowhere.
func run(t *testing.T, p *Probe, timeout time.Duration) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	obs, err := p.Run(ctx)
	r := result{obs: obs, err: err, elapsed: time.Since(start)}
	noSecret(t, r)
	return r
}

func noSecret(t *testing.T, r result) {
	t.Helper()
	b, jerr := json.Marshal(r.obs)
	if jerr != nil {
		t.Errorf("observations do not marshal to JSON: %v", jerr)
	}
	if strings.Contains(string(b), secret) || strings.Contains(fmt.Sprint(r.obs), secret) {
		t.Errorf("password in observations: %s", b)
	}
	if r.err != nil && strings.Contains(r.err.Error(), secret) {
		t.Errorf("password in error: %v", r.err)
	}
}

// status is the item status the runner would give.
func (r result) status() string {
	var f *checks.Failure
	switch {
	case r.err == nil:
		return "pass"
	case errors.As(r.err, &f):
		return "fail"
	}
	return "error"
}

func (r result) reason() string { return checks.Classify(r.err) }

// want asserts status and that the message contains every fragment.
func (r result) want(t *testing.T, status string, fragments ...string) {
	t.Helper()
	t.Logf("%s/%s: %v", r.status(), r.reason(), r.err)
	if got := r.status(); got != status {
		t.Fatalf("status %s (reason %q, err %v), want %s; observations %v", got, r.reason(), r.err, status, r.obs)
	}
	msg := ""
	if r.err != nil {
		msg = r.err.Error()
	}
	for _, f := range fragments {
		if !strings.Contains(msg, f) {
			t.Errorf("message %q does not contain %q", msg, f)
		}
	}
}
