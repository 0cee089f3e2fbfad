package cmdutil

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

type testOptions struct {
	Timeout     time.Duration
	Concurrency int
	FailOn      string
	Tags        []string
	Vars        []string
	Force       bool
}

// newTestCmd is a command bound the way readyctl's are: flags to fields,
// settings applied as PreRunE.
func newTestCmd(f *Factory, got **testOptions) *cobra.Command {
	o := &testOptions{}
	root := &cobra.Command{Use: "root"}
	cmd := &cobra.Command{
		Use: "run", PreRunE: f.ApplySettings,
		RunE: func(*cobra.Command, []string) error { *got = o; return nil },
	}
	fs := cmd.Flags()
	fs.DurationVar(&o.Timeout, "timeout", 10*time.Second, "")
	fs.IntVar(&o.Concurrency, "concurrency", 16, "")
	fs.StringVar(&o.FailOn, "fail-on", "critical", "")
	fs.StringSliceVar(&o.Tags, "tags", nil, "")
	fs.StringArrayVar(&o.Vars, "var", nil, "")
	fs.BoolVar(&o.Force, "force", false, "")
	CommandLineOnly(fs, "force")
	root.AddCommand(cmd)
	root.SilenceErrors, root.SilenceUsage = true, true
	return root
}

func settingsRun(t *testing.T, env map[string]string, config string, args ...string) (*testOptions, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if config != "" {
		if err := os.WriteFile(path, []byte(config), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	io, _, _ := TestIOStreams(false)
	f := &Factory{IO: io, Settings: NewSettings(path, lookup), LookupEnv: lookup}
	var got *testOptions
	root := newTestCmd(f, &got)
	root.SetArgs(append([]string{"run"}, args...))
	err := root.Execute()
	return got, err
}

// TestPrecedence: flag > READYCTL_* > config file > default, per setting.
func TestPrecedence(t *testing.T) {
	cfg := "timeout: 30s\nconcurrency: 3\nfail-on: warning\ntags: [a, b]\n"
	env := map[string]string{"READYCTL_TIMEOUT": "1m", "READYCTL_TAGS": "c, d"}
	for _, tc := range []struct {
		name   string
		env    map[string]string
		config string
		args   []string
		check  func(o *testOptions) bool
	}{
		{"defaults", nil, "", nil, func(o *testOptions) bool {
			return o.Timeout == 10*time.Second && o.Concurrency == 16 && o.FailOn == "critical" && o.Tags == nil
		}},
		{"config over default", nil, cfg, nil, func(o *testOptions) bool {
			return o.Timeout == 30*time.Second && o.Concurrency == 3 && o.FailOn == "warning" && strings.Join(o.Tags, "|") == "a|b"
		}},
		{"env over config", env, cfg, nil, func(o *testOptions) bool {
			return o.Timeout == time.Minute && o.Concurrency == 3 && strings.Join(o.Tags, "|") == "c|d"
		}},
		{"flag over env", env, cfg, []string{"--timeout", "5s", "--tags", "e"}, func(o *testOptions) bool {
			return o.Timeout == 5*time.Second && strings.Join(o.Tags, "|") == "e" && o.FailOn == "warning"
		}},
		{"empty env is unset", map[string]string{"READYCTL_TIMEOUT": ""}, cfg, nil, func(o *testOptions) bool {
			return o.Timeout == 30*time.Second
		}},
		{"var values keep commas", map[string]string{"READYCTL_VAR": "a=1,2\nb=3"}, "", nil, func(o *testOptions) bool {
			return strings.Join(o.Vars, "|") == "a=1,2|b=3"
		}},
		{"command line only", map[string]string{"READYCTL_FORCE": "true"}, "", nil, func(o *testOptions) bool {
			return !o.Force
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := settingsRun(t, tc.env, tc.config, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(o) {
				t.Errorf("%+v", o)
			}
		})
	}
}

// TestBadSettings: a value that does not parse is a usage error naming
// where it came from; so is an unknown key of the config file.
func TestBadSettings(t *testing.T) {
	for _, tc := range []struct {
		name   string
		env    map[string]string
		config string
		args   []string
		want   string
	}{
		{"env duration", map[string]string{"READYCTL_TIMEOUT": "abc"}, "", nil, `READYCTL_TIMEOUT="abc": not a duration`},
		{"env duration without unit", map[string]string{"READYCTL_TIMEOUT": "5"}, "", nil, `READYCTL_TIMEOUT="5": not a duration`},
		{"env int", map[string]string{"READYCTL_CONCURRENCY": "x"}, "", nil, `READYCTL_CONCURRENCY="x": not a whole number`},
		{"config duration", nil, "fail-on: warning\ntimeout: soon\n", nil, "config.yaml: line 2: timeout: not a duration"},
		{"config list for one value", nil, "timeout: [1s, 2s]\n", nil, "line 1: timeout: expected one value, not a list"},
		{"unknown key", nil, "concurency: 2\n", nil, `config.yaml: line 1: unknown setting "concurency" (did you mean "concurrency"?)`},
		{"cli-only key", nil, "force: true\n", nil, `unknown setting "force"`},
		{"duplicate key", nil, "timeout: 1s\ntimeout: 2s\n", nil, `line 2: "timeout" is set twice`},
		{"not a mapping", nil, "- timeout\n", nil, "expected a mapping of settings"},
		{"syntax", nil, "timeout: [1s\n", nil, "config file "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := settingsRun(t, tc.env, tc.config, tc.args...)
			var usage *UsageError
			if !errors.As(err, &usage) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v; want a UsageError with %q", err, tc.want)
			}
		})
	}
	// The flag wins over a bad environment value.
	if o, err := settingsRun(t, map[string]string{"READYCTL_TIMEOUT": "abc"}, "", "--timeout", "2s"); err != nil || o.Timeout != 2*time.Second {
		t.Errorf("flag over bad env: %v %+v", err, o)
	}
}

// TestSource names where a value came from, for messages.
func TestSource(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(path, []byte("fail-on: warning\n"), 0o644)
	env := map[string]string{"READYCTL_CONCURRENCY": "2"}
	s := NewSettings(path, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	io, _, _ := TestIOStreams(false)
	var got *testOptions
	root := newTestCmd(&Factory{IO: io, Settings: s}, &got)
	root.SetArgs([]string{"run", "--timeout", "1s"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	run, _, _ := root.Find([]string{"run"})
	for name, want := range map[string]string{"timeout": "--timeout", "concurrency": "READYCTL_CONCURRENCY", "fail-on": "fail-on in " + path, "tags": "--tags"} {
		if got := s.Source(run, name); got != want {
			t.Errorf("Source(%s) = %q, want %q", name, got, want)
		}
	}
}

// TestStreamsModelPipeAndTerminal: stdout a pipe and stderr a terminal is
// a state of its own (progress on stderr, no colour on stdout).
func TestStreamsModelPipeAndTerminal(t *testing.T) {
	io, _, _ := TestIOStreams(true)
	io.SetStdoutTTY(false)
	if io.ColorStdout(false) || !io.ProgressOnStderr() || io.IsStdoutTTY() || !io.IsStderrTTY() {
		t.Errorf("stdout pipe, stderr tty: colour %v progress %v", io.ColorStdout(false), io.ProgressOnStderr())
	}
	io, _, _ = TestIOStreams(false)
	io.SetStdoutTTY(true)
	if !io.ColorStdout(false) || io.ProgressOnStderr() {
		t.Errorf("stdout tty, stderr pipe: colour %v progress %v", io.ColorStdout(false), io.ProgressOnStderr())
	}
	io.SetNoColorEnv(true)
	if io.ColorStdout(false) {
		t.Error("NO_COLOR ignored")
	}
}

// TestWriteFileAtomicHidesTheTemporaryFile: errors name the file asked for.
func TestWriteFileAtomicHidesTheTemporaryFile(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "report.json")
	os.Mkdir(target, 0o755) // rename onto a directory fails
	err := WriteFileAtomic(target, func(f *os.File) error { _, err := f.WriteString("{}"); return err })
	if err == nil || strings.Contains(err.Error(), ".tmp") {
		t.Errorf("err %v", err)
	}
	err = WriteFileAtomic(filepath.Join(dir, "x.json"), func(f *os.File) error { return errors.New("write " + f.Name() + ": disk full") })
	if err == nil || strings.Contains(err.Error(), ".tmp") || !strings.Contains(err.Error(), "x.json: disk full") {
		t.Errorf("err %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
}
