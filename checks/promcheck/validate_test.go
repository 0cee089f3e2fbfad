package promcheck_test

import (
	"errors"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/checks/promcheck"
	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/probetest"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		block, field, msg string
	}{
		{"query: up", "url", "url is required"},
		{"url: ftp://x\nquery: up", "url", "scheme must be http or https"},
		{"url: http://\nquery: up", "url", "has no host"},
		{"url: http://p:9090/?x=1\nquery: up", "url", "without ?query"},
		{"url: http://p:9090", "query", "at least one of query, targets, rules, alerts or ready"},
		{"url: http://p:9090\nquery: up\nbearer_token: a\nbasic_auth: {username: u}", "bearer_token", "only one of"},
		{"url: http://p:9090\nquery: up\nbearer_token_file: f\nbasic_auth: {username: u}", "bearer_token_file", "only one of"},
		{"url: http://u:p@p:9090\nquery: up\nbearer_token: a", "url", "only one of"},
		{"url: http://p:9090\nquery: up\nbasic_auth: {}", "basic_auth.username", "required"},
		{"url: http://p:9090\nquery: up\nheaders: {authorization: x}", "headers", "bearer_token or basic_auth"},
		{"url: http://p:9090\nquery: up\ntls: {cert_file: c}", "tls", "cert_file and key_file"},
		{"url: http://p:9090\nready: true\nrange: {window: 1m}", "range", "needs a query"},
		{"url: http://p:9090\nready: true\nallow_empty: true", "allow_empty", "applies to query"},
		{"url: http://p:9090\nready: true\nallow_non_finite: true", "allow_non_finite", "applies to query"},
		{"url: http://p:9090\nquery: up\nrange: {step: 1s}", "range.window", "positive"},
		{"url: http://p:9090\nquery: up\nrange: {window: 24h, step: 1s}", "range.step", "11000 points"},
		{"url: http://p:9090\ntargets: {min_up_ratio: 1.5}", "targets.min_up_ratio", "between 0 and 1"},
		{"url: http://p:9090\nalerts: {firing: some}", "alerts.firing", "none or any"},
	} {
		t.Run(tc.block, func(t *testing.T) {
			p := promcheck.New()
			probetest.Decode(t, p, tc.block)
			err := p.Validate()
			var fe *checks.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Validate() = %v, want a FieldError", err)
			}
			if fe.Field != tc.field || !strings.Contains(fe.Err.Error(), tc.msg) {
				t.Fatalf("Validate() = %q, want field %s and %q", err, tc.field, tc.msg)
			}
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	t.Parallel()
	for _, block := range []string{
		"url: http://p:9090\nquery: up",
		"url: https://p:9090/prometheus\nready: true",
		"url: http://p:9090\nquery: up\nrange: {window: 10m, step: 30s}",
		"url: http://p:9090\nquery: up\nrange: {window: 3h}",
		"url: http://p:9090\ntargets: {jobs: [api], min_up_ratio: 0}",
		"url: http://p:9090\nrules: {healthy: false, require: [A]}",
		"url: http://p:9090\nalerts: {firing: any}",
		"url: http://u:p@p:9090\nquery: up",
		"url: http://p:9090\nquery: up\nbasic_auth: {username: u, password: p}\ntls: {insecure_skip_verify: true}\nheaders: {X-Scope-OrgID: a}",
	} {
		probe(t, block)
	}
}

// Unknown keys fail the strict decode, inside nested blocks too.
func TestStrictDecode(t *testing.T) {
	t.Parallel()
	for _, block := range []string{
		"url: http://p:9090\nquerry: up",
		"url: http://p:9090\ntargets: {job: [a]}",
		"url: http://p:9090\nrules: {healthy: true, requires: [A]}",
		"url: http://p:9090\nalerts: {ignored: [A]}",
		"url: http://p:9090\nquery: up\nrange: {windw: 1m}",
	} {
		if err := checklist.DecodeBlock(block, promcheck.New()); err == nil {
			t.Errorf("%q decoded without error", block)
		}
	}
}

// The registered example is a list item whose prometheus: block (minus
// expect:, which the loader strips) decodes strictly and validates, and
// every field has a doc tag for `readyctl probes prometheus`.
func TestExampleAndDocs(t *testing.T) {
	t.Parallel()
	k, ok := checks.Lookup("prometheus")
	if !ok {
		t.Fatal("kind prometheus not registered")
	}
	if !strings.HasPrefix(k.Example, "- id: ") || k.Summary == "" {
		t.Fatalf("example must start with '- id: ' and summary be set: %q", k.Example)
	}
	var items []map[string]any
	if err := yaml.Unmarshal([]byte(k.Example), &items); err != nil {
		t.Fatal(err)
	}
	block := items[0]["prometheus"].(map[string]any)
	if _, ok := block["expect"]; !ok {
		t.Error("example has no expect:")
	}
	delete(block, "expect")
	b, _ := yaml.Marshal(block)
	probe(t, string(b))
	checkDocs(t, promcheck.New())
}
