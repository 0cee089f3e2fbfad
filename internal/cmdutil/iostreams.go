package cmdutil

import (
	"bytes"
	"io"
	"os"

	"golang.org/x/term"
)

// IOStreams is where a command reads and writes, and what it knows about
// the terminal. Tests use TestIOStreams to pretend to be a TTY or a pipe.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer // the report, and nothing else
	ErrOut io.Writer // logs and progress

	stdinTTY, stdoutTTY, stderrTTY bool
	noColorEnv                     bool
	// Width of the terminal on stderr, for progress lines.
	Width int
}

// System returns the process's streams.
func System() *IOStreams {
	s := &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, Width: 80}
	s.stdinTTY = term.IsTerminal(int(os.Stdin.Fd()))
	s.stdoutTTY = term.IsTerminal(int(os.Stdout.Fd()))
	s.stderrTTY = term.IsTerminal(int(os.Stderr.Fd()))
	_, s.noColorEnv = os.LookupEnv("NO_COLOR")
	if w, _, err := term.GetSize(int(os.Stderr.Fd())); err == nil && w > 20 {
		s.Width = w
	}
	return s
}

// TestIOStreams returns in-memory streams; tty says whether they pretend
// to be terminals.
func TestIOStreams(tty bool) (*IOStreams, *bytes.Buffer, *bytes.Buffer) {
	out, errOut := &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{
		In: &bytes.Buffer{}, Out: out, ErrOut: errOut,
		stdinTTY: tty, stdoutTTY: tty, stderrTTY: tty, Width: 80,
	}, out, errOut
}

// IsStdinTTY reports whether a person can be asked questions.
func (s *IOStreams) IsStdinTTY() bool { return s.stdinTTY }

// ColorStdout reports whether the report on stdout may be coloured.
func (s *IOStreams) ColorStdout(noColorFlag bool) bool {
	return s.stdoutTTY && !s.noColorEnv && !noColorFlag
}

// ProgressOnStderr reports whether live progress may be drawn on stderr.
func (s *IOStreams) ProgressOnStderr() bool { return s.stderrTTY }
