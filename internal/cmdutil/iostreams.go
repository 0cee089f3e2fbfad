package cmdutil

import (
	"bytes"
	"io"
	"os"

	"golang.org/x/term"
)

// IOStreams is where a command reads and writes, and what it knows about
// each stream: stdin, stdout and stderr are terminals or not independently.
// The case the design cares about is CI with a log viewer: stdout piped
// into a file or another tool (no colour in the report) while stderr is a
// terminal (live progress).
type IOStreams struct {
	In     io.Reader
	Out    io.Writer // the report, and nothing else
	ErrOut io.Writer // logs and progress

	stdinTTY, stdoutTTY, stderrTTY bool
	noColorEnv, forceColorEnv      bool
	// Width of the terminal on stderr, for progress lines.
	Width int
}

// System returns the process's streams.
func System() *IOStreams {
	s := &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, Width: 80}
	s.stdinTTY = term.IsTerminal(int(os.Stdin.Fd()))
	s.stdoutTTY = term.IsTerminal(int(os.Stdout.Fd()))
	s.stderrTTY = term.IsTerminal(int(os.Stderr.Fd()))
	s.noColorEnv, s.forceColorEnv = ColorEnv(os.LookupEnv)
	if w, _, err := term.GetSize(int(os.Stderr.Fd())); err == nil && w > 20 {
		s.Width = w
	}
	return s
}

// TestIOStreams returns in-memory streams; tty says whether all three
// pretend to be terminals. SetStdinTTY, SetStdoutTTY and SetStderrTTY
// model mixed cases such as stdout a pipe, stderr a terminal.
func TestIOStreams(tty bool) (*IOStreams, *bytes.Buffer, *bytes.Buffer) {
	out, errOut := &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{
		In: &bytes.Buffer{}, Out: out, ErrOut: errOut,
		stdinTTY: tty, stdoutTTY: tty, stderrTTY: tty, Width: 80,
	}, out, errOut
}

// SetStdinTTY says whether stdin is a terminal (tests).
func (s *IOStreams) SetStdinTTY(tty bool) { s.stdinTTY = tty }

// SetStdoutTTY says whether stdout is a terminal (tests).
func (s *IOStreams) SetStdoutTTY(tty bool) { s.stdoutTTY = tty }

// SetStderrTTY says whether stderr is a terminal (tests).
func (s *IOStreams) SetStderrTTY(tty bool) { s.stderrTTY = tty }

// SetNoColorEnv says whether NO_COLOR is set (tests).
func (s *IOStreams) SetNoColorEnv(set bool) { s.noColorEnv = set }

// SetForceColorEnv says whether FORCE_COLOR asks for colour (tests).
func (s *IOStreams) SetForceColorEnv(set bool) { s.forceColorEnv = set }

// ColorEnv reads the colour conventions of the environment: NO_COLOR
// counts only when non-empty (no-color.org), and FORCE_COLOR asks for
// colour when non-empty and not "0", for CI log viewers that render ANSI
// though stdout is a pipe.
func ColorEnv(lookupEnv func(string) (string, bool)) (noColor, forceColor bool) {
	v, _ := lookupEnv("NO_COLOR")
	f, _ := lookupEnv("FORCE_COLOR")
	return v != "", f != "" && f != "0"
}

// IsStdinTTY reports whether a person can be asked questions.
func (s *IOStreams) IsStdinTTY() bool { return s.stdinTTY }

// IsStdoutTTY reports whether the report goes to a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether logs and progress go to a terminal.
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// ColorStdout reports whether the report on stdout may be coloured:
// --no-color always wins; then FORCE_COLOR (the more specific wish, set for
// one CI job) colours even a pipe; else only a terminal without NO_COLOR.
func (s *IOStreams) ColorStdout(noColorFlag bool) bool {
	switch {
	case noColorFlag:
		return false
	case s.forceColorEnv:
		return true
	}
	return s.stdoutTTY && !s.noColorEnv
}

// ProgressOnStderr reports whether live progress may be drawn on stderr,
// whatever stdout is.
func (s *IOStreams) ProgressOnStderr() bool { return s.stderrTTY }
