package cmdutil

import (
	"errors"
	"fmt"
)

// ErrNotReady is returned after a not-ready report has been printed; it
// prints nothing more.
var ErrNotReady = errors.New("not ready")

// ErrInterrupted is returned after a partial report has been printed
// because of SIGINT/SIGTERM.
var ErrInterrupted = errors.New("interrupted")

// UsageError is a problem with flags, arguments or settings: exit 2.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// UsageErrorf formats a UsageError.
func UsageErrorf(format string, a ...any) error {
	return &UsageError{Err: fmt.Errorf(format, a...)}
}
