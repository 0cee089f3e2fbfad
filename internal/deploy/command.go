package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/readyctl/readyctl/checks/cmdrun"
)

// Grace is how long a command has, after readyctl was interrupted and
// passed the signal on, to finish on its own before it is killed: a deploy
// script cut off mid-way should get the chance to leave things tidy.
const Grace = 10 * time.Second

// CommandResult is how a command ended.
type CommandResult struct {
	// Started is false when the command could not be started at all.
	Started  bool
	ExitCode int
	Duration time.Duration
}

// RunCommand runs argv with its stdout and stderr both written to out
// (readyctl's stderr: its stdout is the report) and waits for it. The
// command gets its own process group; when ctx ends (Ctrl-C), the group
// receives SIGINT, as it would have from the terminal, then SIGKILL after
// grace. A command that exits non-zero is not an error; the error is for
// one that could not start or did not exit on its own.
func RunCommand(ctx context.Context, argv []string, out io.Writer, grace time.Duration, clock Clock) (CommandResult, error) {
	if clock == nil {
		clock = realClock{}
	}
	if len(argv) == 0 {
		return CommandResult{}, errors.New("no command")
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Stdin = nil
	cmd.Env = os.Environ()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// A background child left holding the output pipe must not keep
	// readyctl waiting once the command itself has exited.
	cmd.WaitDelay = time.Second
	start := clock.Now()
	if err := cmd.Start(); err != nil {
		return CommandResult{}, fmt.Errorf("start %s: %w", argv[0], err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	pid := cmd.Process.Pid
	var waitErr error
	var interrupted bool
	select {
	case waitErr = <-done:
	case <-ctx.Done():
		interrupted = true
		_ = syscall.Kill(-pid, syscall.SIGINT)
		select {
		case waitErr = <-done:
		case <-time.After(grace):
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			waitErr = <-done
		}
	}
	res := CommandResult{Started: true, Duration: clock.Now().Sub(start)}
	code, err := cmdrun.ExitCode(waitErr)
	res.ExitCode = code
	if err != nil {
		return res, fmt.Errorf("wait for %s: %w", argv[0], err)
	}
	if interrupted {
		return res, fmt.Errorf("%s: %w", argv[0], ctx.Err())
	}
	return res, nil
}
