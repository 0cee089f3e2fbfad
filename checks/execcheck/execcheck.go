// Package execcheck is the `exec` probe kind: run a command the checklist
// names and judge its exit code and output (nginx -t, promtool test rules,
// a restore drill). A checklist is code: an exec item runs a program on the
// machine that runs readyctl, so review checklists like code. It runs
// argv directly (a shell only with shell: true), bounds the output, and
// kills the whole process group at the item's deadline or on Ctrl-C.
package execcheck

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/checks/cmdrun"
)

//go:embed example.yaml
var example string

func init() {
	checks.Register(checks.Kind{
		Name:         "exec",
		New:          func() checks.Probe { return New() },
		Summary:      "run a command and judge its exit code, stdout and stderr (runs code: review checklists like code)",
		Example:      example,
		Context:      []string{"exit_code", "stderr"},
		Observations: observations,
	})
}

var observations = []checks.Observation{
	{Name: "exit_code", Type: checks.TypeInt, Doc: "the command's exit code (128+N when killed by signal N)", Key: true},
	{Name: "stdout", Type: checks.TypeString, Doc: "standard output, at most max_output bytes, secrets masked"},
	{Name: "stderr", Type: checks.TypeString, Doc: "standard error, at most max_output bytes, secrets masked"},
	{Name: "json", Type: checks.TypeAny, Doc: "stdout parsed as JSON, or nil when it is not JSON"},
	{Name: "duration", Type: checks.TypeDuration, Doc: "wall time of the command", Key: true},
	{Name: "truncated", Type: checks.TypeBool, Doc: "stdout or stderr was longer than max_output"},
}

// Probe is the `exec:` block of an item.
type Probe struct {
	cmdrun.Spec `yaml:",inline"`
	ExitCode    *int `yaml:"exit_code" doc:"the exit code that passes (default 0); with expect: you may judge exit_code yourself by setting exit_code: -1 (any)"`
}

// New returns a Probe with its defaults.
func New() *Probe { return &Probe{} }

// Validate checks the configuration without running anything.
func (p *Probe) Validate() error {
	if err := p.Spec.Validate(""); err != nil {
		return err
	}
	if p.ExitCode != nil && (*p.ExitCode < -1 || *p.ExitCode > 255) {
		return checks.FieldErrorf("exit_code", "exit_code %d: expected 0 to 255, or -1 for any", *p.ExitCode)
	}
	return nil
}

// Run runs the command.
func (p *Probe) Run(ctx context.Context) (checks.Observations, error) {
	res, err := cmdrun.Run(ctx, &p.Spec)
	if res == nil {
		return checks.Observations{}, err
	}
	obs := Observe(res)
	if err != nil {
		return obs, err
	}
	want := 0
	if p.ExitCode != nil {
		want = *p.ExitCode
	}
	if want >= 0 && res.ExitCode != want {
		return obs, checks.Fail("", "%s exited with %d, expected %d%s", p.Command[0], res.ExitCode, want, tail(res))
	}
	return obs, nil
}

// Observe turns a command's result into observations.
func Observe(res *cmdrun.Result) checks.Observations {
	obs := checks.Observations{
		"exit_code": res.ExitCode,
		"stdout":    string(res.Stdout),
		"stderr":    string(res.Stderr),
		"duration":  res.Duration,
		"truncated": res.Truncated,
		"json":      nil,
	}
	var v any
	if len(res.Stdout) > 0 && json.Unmarshal(res.Stdout, &v) == nil {
		obs["json"] = v
	}
	return obs
}

// tail is the last line of stderr (else stdout), to say why in one line.
func tail(res *cmdrun.Result) string {
	out := strings.TrimSpace(string(res.Stderr))
	if out == "" {
		out = strings.TrimSpace(string(res.Stdout))
	}
	if i := strings.LastIndexByte(out, '\n'); i >= 0 {
		out = out[i+1:]
	}
	if len(out) > 200 {
		out = out[:200] + "…"
	}
	if out == "" {
		return ""
	}
	return fmt.Sprintf(": %s", out)
}

var _ checks.Probe = (*Probe)(nil)

// SecretFreeFields: the program that runs must be written in the checklist,
// never taken from the environment, so a review sees what will run.
func (p *Probe) SecretFreeFields() map[string]string {
	if len(p.Command) == 0 {
		return nil
	}
	return map[string]string{"command[0]": p.Command[0]}
}

var _ checks.SecretFree = (*Probe)(nil)
