package scancheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/probetest"
)

var today = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func load(t *testing.T, src string) *Probe {
	t.Helper()
	p := New()
	p.now = func() time.Time { return today }
	probetest.Load(t, p, src)
	return p
}

func run(t *testing.T, src string) probetest.Result {
	t.Helper()
	return probetest.Run(t, load(t, src), 10*time.Second, "")
}

func findings(t *testing.T, r probetest.Result) map[string]any {
	t.Helper()
	m, ok := r.Obs["findings"].(map[string]any)
	if !ok {
		t.Fatalf("findings %v", r.Obs["findings"])
	}
	return m
}

// Trivy puts CVSS scores on its rules: they decide the band.
func TestTrivyScores(t *testing.T) {
	r := run(t, "file: testdata/trivy.sarif")
	r.Want(t, "fail", "1 critical (max 0), 1 high (max 0)", "critical CVE-2024-24790 at app/server:1", "high CVE-2023-45288 at go.mod:12")
	f := findings(t, r)
	if f["critical"] != 1 || f["high"] != 1 || f["medium"] != 1 || f["low"] != 0 {
		t.Errorf("findings %v", f)
	}
	if r.Obs["total"] != 3 {
		t.Errorf("total %v", r.Obs["total"])
	}
	if rules := r.Obs["rules"].([]any); len(rules) != 3 || rules[0] != "CVE-2024-24790" {
		t.Errorf("rules %v (most severe first)", rules)
	}

	r = run(t, "file: testdata/trivy.sarif\nmax: {critical: 1, high: 1, medium: 0}")
	r.Want(t, "fail", "1 medium (max 0)")
	r = run(t, "file: testdata/trivy.sarif\nmax: {critical: 1, high: 1}")
	r.Want(t, "pass")
}

// Semgrep writes no level on results: the rule's defaultConfiguration
// decides (error -> high, warning -> medium); a suppressed result is not
// a finding.
func TestSemgrepLevels(t *testing.T) {
	r := run(t, "file: testdata/semgrep.sarif")
	r.Want(t, "fail", "1 high (max 0)", "formatted-sql-query at auth/login.py:18")
	f := findings(t, r)
	if f["high"] != 1 || f["medium"] != 1 || f["low"] != 0 {
		t.Errorf("findings %v", f)
	}
	if r.Obs["tools"].([]any)[0] != "Semgrep OSS" {
		t.Errorf("tools %v", r.Obs["tools"])
	}
}

func TestCleanScan(t *testing.T) {
	r := run(t, "file: testdata/gosec-clean.sarif\nmax: {critical: 0, high: 0, medium: 0, low: 0}")
	r.Want(t, "pass")
	if r.Obs["total"] != 0 {
		t.Errorf("total %v", r.Obs["total"])
	}
}

func TestIgnores(t *testing.T) {
	r := run(t, `file: testdata/trivy.sarif
ignore:
  - {rule: CVE-2024-24790, reason: not reachable, expires: 2027-01-31}
  - {rule: CVE-2023-45288, reason: fixed next sprint, expires: 2026-11-27}`)
	// The first holds; the second expired yesterday and counts again.
	r.Want(t, "fail", "1 high (max 0)", "ignore expired for CVE-2023-45288")
	if f := findings(t, r); f["critical"] != 0 {
		t.Errorf("findings %v", f)
	}
	if r.Obs["ignored"] != 1 {
		t.Errorf("ignored %v", r.Obs["ignored"])
	}
}

func TestMalformedAndBounded(t *testing.T) {
	r := run(t, "file: testdata/broken.sarif")
	r.Want(t, "error", "testdata/broken.sarif:4: not valid SARIF")
	if r.Reason() != checks.ReasonParse {
		t.Errorf("reason %q", r.Reason())
	}
	r = run(t, "file: testdata/trivy.sarif\nmax_bytes: 100")
	r.Want(t, "error", "over the 100-byte bound")
	if r.Reason() != checks.ReasonTooLarge {
		t.Errorf("reason %q", r.Reason())
	}

	dir := t.TempDir()
	old := filepath.Join(dir, "old.sarif")
	data, _ := os.ReadFile("testdata/gosec-clean.sarif")
	os.WriteFile(old, data, 0o644)
	past := today.Add(-72 * time.Hour)
	os.Chtimes(old, past, past)
	r = run(t, "file: "+old+"\nmax_age: 24h")
	r.Want(t, "error", "older than max_age")
}

// A scanner command whose stdout is SARIF: exiting non-zero because it
// found something is normal.
func TestCommand(t *testing.T) {
	r := run(t, "command: [sh, -c, 'cat testdata/trivy.sarif; exit 1']\nmax: {critical: 1, high: 1}")
	r.Want(t, "pass")
	r = run(t, "command: [sh, -c, 'echo scanner crashed >&2; exit 2']")
	r.Want(t, "error", "exited with 2 and wrote no SARIF")
	r = run(t, "command: [sh, -c, 'cat testdata/trivy.sarif']\nmax_bytes: 200")
	r.Want(t, "error", "more than 200 bytes of SARIF")
}

func TestValidate(t *testing.T) {
	for src, want := range map[string]string{
		"max: {critical: 0}":                                      "file: give file: (a SARIF file) or command:",
		"file: a\ncommand: [b]":                                   "command: give file: or command:, not both",
		"file: a\nmax: {severe: 0}":                               `max.severe: unknown severity "severe"`,
		"file: a\nmax: {high: -1}":                                "max.high: must be 0 or more",
		"file: a\nignore: [{rule: X, expires: 2027-01-01}]":       "ignore[0].reason: an ignore needs a reason",
		"file: a\nignore: [{rule: X, reason: ok}]":                "ignore[0].expires: an ignore needs an expiry",
		"file: a\nignore: [{rule: X, reason: ok, expires: soon}]": `ignore[0].expires: "soon"`,
		"file: a\nignore: [{reason: ok, expires: 2027-01-01}]":    "ignore[0].rule: rule is required",
	} {
		p := New()
		probetest.Decode(t, p, src)
		if err := p.Validate(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", src, err, want)
		}
	}
}
