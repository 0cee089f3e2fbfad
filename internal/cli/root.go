// Package cli is readyctl's command line: cobra commands, configuration
// from flags, READYCTL_* environment variables and the config file (in that
// order of precedence), and the one function that turns errors into exit
// codes. Commands parse and hand over; the work is done by the packages
// they call.
package cli

import (
	"context"
	"os"
	"strings"

	"github.com/readyctl/readyctl/internal/cli/signoffcmd"
	"github.com/readyctl/readyctl/internal/cmdutil"
	"github.com/spf13/cobra"
)

// Version is set at build time with -ldflags "-X .../internal/cli.Version=v1.2.3".
var Version = "dev"

// Main runs readyctl with args and returns the exit code.
func Main(ctx context.Context, args []string, streams *cmdutil.IOStreams) int {
	f := &cmdutil.Factory{IO: streams, Settings: cmdutil.NewSettings(cmdutil.ConfigPath(), os.LookupEnv), LookupEnv: os.LookupEnv}
	root := NewRootCmd(f)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil && isCobraUsage(err) {
		err = &cmdutil.UsageError{Err: err}
	}
	printError(streams.ErrOut, err)
	return ExitCode(err)
}

// NewRootCmd builds the command tree.
func NewRootCmd(f *cmdutil.Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "readyctl",
		Short: "Check that a system is ready to deploy, from a YAML checklist",
		Long: `readyctl runs a deployment-readiness checklist: every automated item through
a probe (http, tcp, postgres, redis, tls, prometheus, load, ...), every manual
item through a person's sign-off. It prints a report and exits 0 when ready,
1 when not ready, 2 on bad usage, 3 on an invalid checklist, 4 when the
report could not be written, 130 when interrupted.

Every flag can also be set with READYCTL_<FLAG> (READYCTL_FAIL_ON for
--fail-on) or as <flag>: in $XDG_CONFIG_HOME/readyctl/config.yaml; a flag
wins over the environment, which wins over the file.`,
		Example: `  readyctl demo                          # see it work, no set-up
  readyctl validate -f checklist.yaml
  readyctl check -f checklist.yaml --env production
  readyctl check --format junit -o json=report.json
  readyctl check --phase post-deploy --wait 5m`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       versionString(),
	}
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &cmdutil.UsageError{Err: err} })
	root.AddCommand(
		NewCmdCheck(f, nil),
		NewCmdValidate(f, nil),
		NewCmdList(f, nil),
		NewCmdProbes(f),
		NewCmdVersion(f),
		NewCmdDemo(f),
		NewCmdPlan(f),
		NewCmdServe(f, nil),
		NewCmdSchema(f),
		NewCmdDocs(f),
		NewCmdInit(f, nil),
		signoffcmd.NewCmdSignoff(f, nil),
		signoffcmd.NewCmdApprove(f, nil),
		signoffcmd.NewCmdWaive(f, nil),
		signoffcmd.NewCmdSignoffs(f, nil),
		NewCmdDeploy(f, nil), NewCmdHistory(f), NewCmdDiff(f),
	)
	finishRoot(root, f) // last: --version as `version`, completion of every command's flags
	return root
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
