// Package cmdrun runs a command for the kinds that take evidence from other
// tools (exec, tests, scan): argv without a shell unless asked, output
// bounded in bytes, and the whole process group killed at the deadline or
// on Ctrl-C, so no grandchild outlives readyctl. It never runs anything a
// checklist did not name.
package cmdrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/readyctl/readyctl/checks"
)

// DefaultMaxOutput bounds what is kept of stdout and of stderr each.
const DefaultMaxOutput = 1 << 20

// Spec is the command part of a probe block; kinds embed it inline.
type Spec struct {
	Command   []string          `yaml:"command" doc:"the program and its arguments (argv); run directly, never through a shell unless shell: true"`
	Shell     bool              `yaml:"shell" doc:"run command[0] as a /bin/sh -c script (the checklist is code: review it like code)"`
	Dir       string            `yaml:"dir" doc:"working directory (default: the current directory)"`
	Env       map[string]string `yaml:"env" doc:"extra environment variables for the command"`
	Stdin     string            `yaml:"stdin" doc:"text written to the command's standard input"`
	MaxOutput int64             `yaml:"max_output" doc:"bytes kept of stdout and of stderr each; more is counted and dropped (default 1 MiB)"`
}

// Validate checks the command without running it. field is the YAML path
// of the block holding the spec, for messages ("" at the top).
func (s *Spec) Validate(field string) error {
	if len(s.Command) == 0 || strings.TrimSpace(s.Command[0]) == "" {
		return checks.FieldErrorf(join(field, "command"), "command is required: a list such as [./smoke.sh, --env, staging]")
	}
	if s.Shell && len(s.Command) != 1 {
		return checks.FieldErrorf(join(field, "command"), "with shell: true, command is one script string, got %d elements", len(s.Command))
	}
	if s.MaxOutput < 0 {
		return checks.FieldErrorf(join(field, "max_output"), "must be 0 (default) or more")
	}
	return nil
}

// Result is what a finished (or killed) command left.
type Result struct {
	ExitCode  int
	Stdout    []byte
	Stderr    []byte
	Truncated bool // stdout or stderr was longer than MaxOutput
	Duration  time.Duration
}

// Run runs the command until it exits or ctx ends. A command that exits
// with a non-zero code is not an error: the caller judges the code. The
// error is for a command that could not start or was killed.
func Run(ctx context.Context, s *Spec) (*Result, error) {
	argv := s.Command
	if s.Shell {
		argv = []string{"/bin/sh", "-c", s.Command[0]}
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = s.Dir
	cmd.Env = environ(s.Env)
	if s.Stdin != "" {
		cmd.Stdin = strings.NewReader(s.Stdin)
	}
	max := s.MaxOutput
	if max == 0 {
		max = DefaultMaxOutput
	}
	stdout, stderr := &capped{max: max}, &capped{max: max}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	// Its own process group, so the deadline kills the children it spawned
	// too, not only the direct child.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// A grandchild left running can hold the output pipes open; once the
	// command itself has exited, stop waiting for them.
	cmd.WaitDelay = 200 * time.Millisecond

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", argv[0], err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	var waitErr error
	select {
	case waitErr = <-done:
	case <-ctx.Done():
		killGroup(cmd.Process.Pid)
		// Output pipes close when the group dies; Wait returns promptly.
		select {
		case <-done:
		case <-time.After(2 * time.Second):
		}
		return &Result{ExitCode: -1, Stdout: stdout.buf.Bytes(), Stderr: stderr.buf.Bytes(), Truncated: stdout.dropped+stderr.dropped > 0, Duration: time.Since(start)},
			fmt.Errorf("%s killed: %w", argv[0], ctx.Err())
	}
	// A child that exited but left a grandchild holding the group: clean
	// it up as well, the command is done.
	killGroup(cmd.Process.Pid)
	res := &Result{ExitCode: 0, Stdout: stdout.buf.Bytes(), Stderr: stderr.buf.Bytes(), Truncated: stdout.dropped+stderr.dropped > 0, Duration: time.Since(start)}
	code, err := ExitCode(waitErr)
	res.ExitCode = code
	if err != nil {
		return res, fmt.Errorf("wait for %s: %w", argv[0], err)
	}
	return res, nil
}

// ExitCode is the exit code of a command from the error its Wait
// returned: 0 for nil, the process's code, or 128+N for death by signal N
// (as a shell reports it). An error that is not an exit status (the
// command could not be waited for) is returned.
func ExitCode(waitErr error) (int, error) {
	var exitErr *exec.ExitError
	switch {
	case waitErr == nil, errors.Is(waitErr, exec.ErrWaitDelay):
		return 0, nil
	case errors.As(waitErr, &exitErr):
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		return exitErr.ExitCode(), nil
	}
	return 0, waitErr
}

func killGroup(pid int) {
	_ = syscall.Kill(-pid, syscall.SIGKILL)
}

// environ is the process environment plus the spec's variables, sorted so
// that runs are reproducible.
func environ(extra map[string]string) []string {
	env := os.Environ()
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+extra[k])
	}
	return env
}

// capped keeps the first max bytes written and counts the rest, so a
// chatty command neither blocks on a full pipe nor fills memory.
type capped struct {
	buf     bytes.Buffer
	max     int64
	dropped int64
}

func (c *capped) Write(p []byte) (int, error) {
	room := c.max - int64(c.buf.Len())
	switch {
	case room <= 0:
		c.dropped += int64(len(p))
	case int64(len(p)) > room:
		c.buf.Write(p[:room])
		c.dropped += int64(len(p)) - room
	default:
		c.buf.Write(p)
	}
	return len(p), nil
}

var _ io.Writer = (*capped)(nil)

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
