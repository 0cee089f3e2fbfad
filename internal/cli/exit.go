package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/cmdutil"
)

// Exit codes (contract: 0, 1, 2, 3 and 130; 4 is an extension).
const (
	ExitReady    = 0
	ExitNotReady = 1
	ExitUsage    = 2
	ExitInvalid  = 3
	// ExitNotWritten: the run finished but its report could not be
	// written (stdout or an -o file). Neither ready nor not ready: the
	// verdict did not reach the reader it was meant for.
	ExitNotWritten  = 4
	ExitInterrupted = 130
)

// OutputError is a report that could not be written (exit 4).
type OutputError struct{ Err error }

func (e *OutputError) Error() string { return e.Err.Error() }
func (e *OutputError) Unwrap() error { return e.Err }

// ExitCode maps an error from a command to the process exit code. It is
// the only place where errors become exit codes.
func ExitCode(err error) int {
	var usage *cmdutil.UsageError
	var invalid checklist.Errors
	var output *OutputError
	switch {
	case err == nil:
		return ExitReady
	case errors.Is(err, cmdutil.ErrInterrupted), errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.Is(err, cmdutil.ErrNotReady):
		return ExitNotReady
	case errors.As(err, &output):
		return ExitNotWritten
	case errors.As(err, &invalid):
		return ExitInvalid
	case errors.As(err, &usage), errors.Is(err, checklist.ErrNotFound):
		return ExitUsage
	}
	// Anything else (a sign-off that cannot be recorded, an untrusted
	// record under signoffs verify, ...) is a refusal: exit 1.
	return ExitNotReady
}

// printError writes err for a person, once. Sentinels that follow an
// already printed report print nothing.
func printError(w io.Writer, err error) {
	var invalid checklist.Errors
	switch {
	case err == nil, errors.Is(err, cmdutil.ErrNotReady), errors.Is(err, cmdutil.ErrInterrupted):
	case errors.As(err, &invalid):
		for _, e := range invalid {
			fmt.Fprintln(w, e.Error())
		}
		n := len(invalid)
		fmt.Fprintf(w, "readyctl: invalid checklist: %d problem%s\n", n, map[bool]string{true: "", false: "s"}[n == 1])
	default:
		msg := err.Error()
		var usage *cmdutil.UsageError
		if errors.As(err, &usage) && !strings.Contains(msg, "--help") {
			msg += " (see --help)"
		}
		for _, line := range strings.Split(msg, "\n") {
			fmt.Fprintln(w, "readyctl: "+line) // one line per joined error
		}
	}
}
