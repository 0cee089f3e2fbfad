// Package cli is readyctl's command line: cobra commands, configuration
// from flags, READYCTL_* environment variables and the config file (in that
// order of precedence), and the one function that turns errors into exit
// codes. Commands parse and hand over; the work is done by the packages
// they call.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/readyctl/readyctl/internal/redact"
)

// Version is set at build time with -ldflags "-X .../internal/cli.Version=v1.2.3".
var Version = "dev"

// Factory carries what commands depend on, so tests can swap it.
type Factory struct {
	IO     *IOStreams
	Config *viper.Viper
	// Getenv reads the process environment (for ${env:...}).
	LookupEnv func(string) (string, bool)
}

// Main runs readyctl with args and returns the exit code.
func Main(ctx context.Context, args []string, streams *IOStreams) int {
	f := &Factory{IO: streams, Config: newConfig(streams.ErrOut), LookupEnv: os.LookupEnv}
	root := NewRootCmd(f)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil && isCobraUsage(err) {
		err = &UsageError{Err: err}
	}
	printError(streams.ErrOut, err)
	return ExitCode(err)
}

// newConfig reads $XDG_CONFIG_HOME/readyctl/config.yaml (if any) and
// READYCTL_* environment variables; flags bound later take precedence.
func newConfig(errOut io.Writer) *viper.Viper {
	v := viper.New()
	v.SetEnvPrefix("READYCTL")
	v.SetEnvKeyReplacer(strings.NewReplacer("-", "_", ".", "_"))
	v.AutomaticEnv()
	v.SetConfigFile(ConfigPath())
	v.SetConfigType("yaml")
	if err := v.ReadInConfig(); err != nil && !errors.Is(err, os.ErrNotExist) {
		var notFound viper.ConfigFileNotFoundError
		if !errors.As(err, &notFound) {
			if _, statErr := os.Stat(ConfigPath()); statErr == nil {
				fmt.Fprintf(errOut, "readyctl: ignoring config file %s: %v\n", ConfigPath(), err)
			}
		}
	}
	return v
}

// ConfigPath is the user's config file.
func ConfigPath() string {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "readyctl", "config.yaml")
}

// NewRootCmd builds the command tree.
func NewRootCmd(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "readyctl",
		Short: "Check that a system is ready to deploy, from a YAML checklist",
		Long: `readyctl runs a deployment-readiness checklist: every automated item through
a probe (http, tcp, postgres, redis, tls, prometheus, load, ...), every manual
item through a person's sign-off. It prints a report and exits 0 when ready,
1 when not ready, 2 on bad usage, 3 on an invalid checklist, 130 when
interrupted.`,
		Example: `  readyctl demo                          # see it work, no set-up
  readyctl validate -f checklist.yaml
  readyctl check -f checklist.yaml --env production
  readyctl check --format junit -o json=report.json
  readyctl check --phase post-deploy --wait 5m`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       Version,
	}
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &UsageError{Err: err} })
	root.AddCommand(
		NewCmdCheck(f, nil),
		NewCmdValidate(f, nil),
		NewCmdList(f, nil),
		NewCmdProbes(f),
		NewCmdVersion(f),
		NewCmdDemo(f),
		NewCmdPlan(f),
		NewCmdSignoff(f, nil),
		NewCmdApprove(f, nil),
		NewCmdWaive(f, nil),
		NewCmdSignoffs(f, nil),
	)
	return root
}

// bindFlags makes each flag of the running command come from flag >
// READYCTL_<NAME> > config file > the flag's default. It binds only the
// command that runs: commands share flag names such as "file".
func bindFlags(f *Factory, cmd *cobra.Command) {
	cmd.Flags().VisitAll(func(fl *pflag.Flag) {
		if fl.Name != "help" {
			_ = f.Config.BindPFlag(fl.Name, fl)
		}
	})
}

func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires ", "invalid argument", "flag needs an argument"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

// newLogger logs to stderr (debug with -v, else info and up), masking
// every secret the checklist resolved.
func newLogger(w io.Writer, verbose bool, secrets []string) *slog.Logger {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	r := redact.New(secrets)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			switch a.Value.Kind() {
			case slog.KindString:
				return slog.String(a.Key, r.String(a.Value.String()))
			case slog.KindAny:
				return slog.String(a.Key, r.String(fmt.Sprint(a.Value.Any())))
			}
			return a
		},
	}))
}
