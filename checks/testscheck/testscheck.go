// Package testscheck is the `tests` probe kind: gate on a test suite's
// results, read from the JUnit XML files the team's test runner writes
// (pytest, gotestsum, Jest, Maven Surefire, Newman, Playwright, k6), or
// after running that runner first. Result files are read bounded in size,
// and files older than max_age are refused: stale evidence is no evidence.
package testscheck

import (
	"context"
	_ "embed"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/checks/cmdrun"
	"github.com/readyctl/readyctl/checks/evidencefile"
)

//go:embed example.yaml
var example string

func init() {
	checks.Register(checks.Kind{
		Name:         "tests",
		New:          func() checks.Probe { return New() },
		Summary:      "a test suite's results from JUnit XML files (optionally running the suite first): pass rate, failures by name",
		Example:      example,
		Context:      []string{"failures"},
		Observations: observations,
	})
}

var observations = []checks.Observation{
	{Name: "total", Type: checks.TypeInt, Doc: "test cases in all files", Key: true},
	{Name: "passed", Type: checks.TypeInt, Doc: "test cases that passed"},
	{Name: "failed", Type: checks.TypeInt, Doc: "test cases with a <failure>", Key: true},
	{Name: "errors", Type: checks.TypeInt, Doc: "test cases with an <error>", Key: true},
	{Name: "skipped", Type: checks.TypeInt, Doc: "test cases skipped"},
	{Name: "pass_rate", Type: checks.TypeFloat, Doc: "passed / (total - skipped), 0..1; 0 when nothing ran", Key: true},
	{Name: "duration", Type: checks.TypeDuration, Doc: "the suites' total time as the files report it"},
	{Name: "failures", Type: checks.TypeList, Doc: "the first max_failures failed tests, each {name, message, file}"},
	{Name: "suites", Type: checks.TypeInt, Doc: "test suites in all files"},
	{Name: "files", Type: checks.TypeList, Doc: "the result files read"},
	{Name: "exit_code", Type: checks.TypeInt, Doc: "with command: the runner's exit code (nil without command)"},
}

// Probe is the `tests:` block of an item.
type Probe struct {
	Files       []string      `yaml:"files" doc:"JUnit XML files or glob patterns (relative to dir:, else the current directory)"`
	MinPassRate *float64      `yaml:"min_pass_rate" doc:"pass when pass_rate is at least this (0..1); without it every test must pass"`
	MinTests    int           `yaml:"min_tests" doc:"fewer test cases than this is no evidence: fail (default 1)"`
	MaxAge      time.Duration `yaml:"max_age" doc:"refuse result files modified longer ago than this (e.g. 24h); 0 = any age"`
	MaxBytes    int64         `yaml:"max_bytes" doc:"bound on each result file (default 32 MiB)"`
	MaxFailures int           `yaml:"max_failures" doc:"failed tests listed by name in failures (default 10)"`
	// The command that produces the files, run first when given.
	cmdrun.Spec `yaml:",inline"`

	now func() time.Time
}

// New returns a Probe with its defaults.
func New() *Probe { return &Probe{MinTests: 1, MaxFailures: 10, now: time.Now} }

// Validate checks the configuration without I/O.
func (p *Probe) Validate() error {
	if len(p.Files) == 0 {
		return checks.FieldErrorf("files", "files is required: the JUnit XML files or globs to read, e.g. [reports/*.xml]")
	}
	for i, f := range p.Files {
		if strings.TrimSpace(f) == "" {
			return checks.FieldErrorf(fmt.Sprintf("files[%d]", i), "empty file pattern")
		}
	}
	if r := p.MinPassRate; r != nil && (math.IsNaN(*r) || *r < 0 || *r > 1) {
		return checks.FieldErrorf("min_pass_rate", "min_pass_rate %g: expected a number from 0 to 1", *r)
	}
	if p.MinTests < 0 {
		return checks.FieldErrorf("min_tests", "must be 0 or more")
	}
	if p.MaxBytes < 0 {
		return checks.FieldErrorf("max_bytes", "must be 0 (default) or more")
	}
	if p.MaxFailures < 0 || p.MaxFailures > 1000 {
		return checks.FieldErrorf("max_failures", "expected 0 to 1000")
	}
	if len(p.Command) > 0 {
		return p.Spec.Validate("")
	}
	if p.Shell || p.Stdin != "" || len(p.Env) > 0 {
		return checks.FieldErrorf("command", "shell, stdin and env need a command")
	}
	return nil
}

// Run runs the command (if any), then reads and judges the result files.
func (p *Probe) Run(ctx context.Context) (checks.Observations, error) {
	obs := checks.Observations{"exit_code": nil}
	started := p.now()
	if len(p.Command) > 0 {
		res, err := cmdrun.Run(ctx, &p.Spec)
		if err != nil {
			return obs, err
		}
		// A failing suite exits non-zero: its files say how it failed.
		obs["exit_code"] = res.ExitCode
	}
	eo := evidencefile.Options{Dir: p.Dir, MaxBytes: p.MaxBytes, MaxAge: p.MaxAge, Now: p.now()}
	paths, err := evidencefile.Expand(p.Files, eo)
	if err != nil {
		return obs, err
	}
	var t tally
	for _, path := range paths {
		if err := ctx.Err(); err != nil {
			return obs, err
		}
		f, err := evidencefile.Open(path, eo)
		if err != nil {
			return obs, err
		}
		err = t.add(path, f, p.MaxFailures)
		f.Close()
		if err != nil {
			if _, isParse := err.(*ParseError); isParse {
				return obs, checks.WithReason(checks.ReasonParse, err)
			}
			return obs, err
		}
		// With a command, a file it did not rewrite is from an earlier run.
		if len(p.Command) > 0 && f.ModTime.Before(started.Add(-time.Second)) {
			return obs, checks.WithReason(checks.ReasonStale, fmt.Errorf("%s was not written by this run of %s (modified %s)",
				path, p.Command[0], f.ModTime.UTC().Format(time.RFC3339)))
		}
	}
	for k, v := range observe(&t, paths) {
		obs[k] = v
	}
	return obs, p.judge(&t)
}

func observe(t *tally, paths []string) checks.Observations {
	failures := make([]any, len(t.failures))
	for i, f := range t.failures {
		failures[i] = map[string]any{"name": f.Name, "message": f.Message, "file": f.File}
	}
	files := make([]any, len(paths))
	for i, p := range paths {
		files[i] = p
	}
	return checks.Observations{
		"total": t.total, "passed": t.passed, "failed": t.failed, "errors": t.errors,
		"skipped": t.skipped, "pass_rate": passRate(t), "duration": t.duration,
		"failures": failures, "suites": t.suites, "files": files,
	}
}

func passRate(t *tally) float64 {
	ran := t.total - t.skipped
	if ran <= 0 {
		return 0
	}
	return float64(t.passed) / float64(ran)
}

func (p *Probe) judge(t *tally) error {
	if t.total < p.MinTests {
		return checks.Fail(checks.ReasonNoData, "%d test cases in the result files, expected at least %d", t.total, p.MinTests)
	}
	bad := t.failed + t.errors
	switch {
	case p.MinPassRate != nil:
		if rate := passRate(t); rate < *p.MinPassRate {
			return checks.Fail("", "pass rate %.1f%% (%d of %d passed) is below %.1f%%%s", rate*100, t.passed, t.total-t.skipped, *p.MinPassRate*100, names(t))
		}
	case bad > 0:
		return checks.Fail("", "%d of %d tests failed%s", bad, t.total-t.skipped, names(t))
	}
	return nil
}

// names lists the failed tests, so the engineer sees which test broke
// without opening another tool.
func names(t *tally) string {
	if len(t.failures) == 0 {
		return ""
	}
	parts := make([]string, len(t.failures))
	for i, f := range t.failures {
		parts[i] = f.Name
		if f.Message != "" {
			parts[i] += " (" + f.Message + ")"
		}
	}
	more := ""
	if n := t.failuresSeen - len(t.failures); n > 0 {
		more = fmt.Sprintf(" and %d more", n)
	}
	return ": " + strings.Join(parts, "; ") + more
}

var _ checks.Probe = (*Probe)(nil)
