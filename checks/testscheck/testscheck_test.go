package testscheck

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/probetest"
)

func load(t *testing.T, src string) *Probe {
	t.Helper()
	p := New()
	probetest.Load(t, p, src)
	return p
}

func run(t *testing.T, src string) probetest.Result {
	t.Helper()
	return probetest.Run(t, load(t, src), 10*time.Second, "")
}

// Reports in the shapes pytest, gotestsum and Jest (jest-junit) write.
func TestRealReports(t *testing.T) {
	cases := []struct {
		file                                  string
		total, passed, failed, errors, skiped int
		status                                string
		fragments                             []string
	}{
		{"pytest.xml", 4, 2, 1, 0, 1, "fail", []string{"1 of 3 tests failed", "tests.test_credits.test_topup (assert 90 == 100)"}},
		{"gotestsum.xml", 3, 2, 1, 0, 0, "fail", []string{"example.com/app/store.TestMigrate (Failed)"}},
		{"jest.xml", 3, 2, 0, 1, 0, "fail", []string{"analytics export writes csv (connect ECONNREFUSED 127.0.0.1:5432)"}},
		{"all-pass.xml", 2, 2, 0, 0, 0, "pass", nil},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			r := run(t, "files: [testdata/"+c.file+"]")
			r.Want(t, c.status, c.fragments...)
			for name, want := range map[string]int{"total": c.total, "passed": c.passed, "failed": c.failed, "errors": c.errors, "skipped": c.skiped} {
				if r.Obs[name] != want {
					t.Errorf("%s = %v, want %d", name, r.Obs[name], want)
				}
			}
		})
	}
}

func TestGlobAndPassRate(t *testing.T) {
	// 8 of the 11 that ran passed: 0.727...
	r := run(t, "files: [testdata/*.xml]\nmin_pass_rate: 0.8")
	// malformed.xml is matched by the glob too: it is an error, naming it.
	r.Want(t, "error", "malformed.xml:5:")
	if r.Reason() != checks.ReasonParse {
		t.Errorf("reason %q, want parse", r.Reason())
	}

	r = run(t, "files: [testdata/pytest.xml, testdata/gotestsum.xml, testdata/jest.xml, testdata/all-pass.xml]\nmin_pass_rate: 0.7")
	r.Want(t, "pass")
	if r.Obs["total"] != 12 || r.Obs["suites"] != 6 {
		t.Errorf("total %v suites %v", r.Obs["total"], r.Obs["suites"])
	}
	if rate := r.Obs["pass_rate"].(float64); rate < 0.72 || rate > 0.73 {
		t.Errorf("pass_rate %v", rate)
	}
	r = run(t, "files: [testdata/pytest.xml, testdata/gotestsum.xml, testdata/jest.xml, testdata/all-pass.xml]\nmin_pass_rate: 0.95")
	r.Want(t, "fail", "pass rate 72.7% (8 of 11 passed) is below 95.0%", "TestMigrate")
}

func TestMissingStaleAndEmpty(t *testing.T) {
	r := run(t, "files: [testdata/nothing-*.xml]")
	r.Want(t, "error", "no file matches")

	dir := t.TempDir()
	old := filepath.Join(dir, "old.xml")
	copyFile(t, "testdata/all-pass.xml", old)
	past := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(old, past, past); err != nil {
		t.Fatal(err)
	}
	r = run(t, "files: ["+old+"]\nmax_age: 24h")
	r.Want(t, "error", "older than max_age 24h0m0s", "stale evidence")
	if r.Reason() != checks.ReasonStale {
		t.Errorf("reason %q", r.Reason())
	}

	empty := filepath.Join(dir, "empty.xml")
	os.WriteFile(empty, []byte(`<testsuites name="none"></testsuites>`), 0o644)
	r = run(t, "files: ["+empty+"]")
	r.Want(t, "fail", "0 test cases")
}

// A huge result file is refused by its size, never read into memory; a
// FIFO is refused without blocking.
func TestHostileFiles(t *testing.T) {
	dir := t.TempDir()
	huge := filepath.Join(dir, "huge.xml")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(200 << 20); err != nil { // sparse: costs no disk
		t.Fatal(err)
	}
	f.Close()
	r := run(t, "files: ["+huge+"]")
	r.Want(t, "error", "over the 33554432-byte bound")
	if r.Reason() != checks.ReasonTooLarge {
		t.Errorf("reason %q", r.Reason())
	}

	fifo := filepath.Join(dir, "fifo.xml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("mkfifo:", err)
	}
	done := make(chan probetest.Result, 1)
	go func() { done <- probetest.Run(t, load(t, "files: ["+fifo+"]"), 3*time.Second, "") }()
	select {
	case r := <-done:
		r.Want(t, "error", "is not a regular file")
	case <-time.After(10 * time.Second):
		t.Fatal("blocked on a FIFO")
	}
}

// With command:, the suite runs first and its files are read after;
// a file the command did not rewrite is from an earlier run.
func TestCommandFirst(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.xml")
	src, _ := os.ReadFile("testdata/gotestsum.xml")
	script := filepath.Join(dir, "suite.sh")
	os.WriteFile(script, []byte("#!/bin/sh\ncat > "+out+" <<'X'\n"+string(src)+"\nX\nexit 1\n"), 0o755)
	r := run(t, "command: ["+script+"]\nfiles: ["+out+"]")
	r.Want(t, "fail", "TestMigrate")
	if r.Obs["exit_code"] != 1 {
		t.Errorf("exit_code %v", r.Obs["exit_code"])
	}

	stale := filepath.Join(dir, "stale.xml")
	copyFile(t, "testdata/all-pass.xml", stale)
	past := time.Now().Add(-time.Hour)
	os.Chtimes(stale, past, past)
	r = run(t, "command: [true]\nfiles: ["+stale+"]")
	r.Want(t, "error", "was not written by this run of true")
}

func TestValidate(t *testing.T) {
	for src, want := range map[string]string{
		"min_pass_rate: 0.9":                           "files: files is required",
		"files: ['']":                                  "files[0]: empty file pattern",
		"files: [a.xml]\nmin_pass_rate: 1.5":           "min_pass_rate: min_pass_rate 1.5",
		"files: [a.xml]\nmax_failures: -1":             "max_failures: expected 0 to 1000",
		"files: [a.xml]\nshell: true":                  "command: shell, stdin and env need a command",
		"files: [a.xml]\ncommand: [a, b]\nshell: true": "command: with shell: true",
	} {
		p := New()
		probetest.Decode(t, p, src)
		if err := p.Validate(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", src, err, want)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
