package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/cmdutil"
	"github.com/readyctl/readyctl/internal/demo"
)

// NewCmdDemo builds `readyctl demo`: a real run against loopback services
// it starts itself, to see readyctl work with no set-up.
func NewCmdDemo(f *cmdutil.Factory) *cobra.Command {
	opts := &CheckOptions{IO: f.IO, LookupEnv: f.LookupEnv}
	var printChecklist bool
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Start demo services on loopback and check them with a built-in checklist",
		Long: `Start five small HTTP services on 127.0.0.1 (auth, core, MCP, analytics, gateway)
and run the built-in demo checklist against them, exactly as 'readyctl check'
would. One warning item fails on purpose and a manual item waits for a
sign-off; neither blocks, so the verdict is ready and the exit code 0.`,
		Example: `  readyctl demo
  readyctl demo --format json
  readyctl demo --print-checklist > checklist.yaml`,
		Args:    cobra.NoArgs,
		PreRunE: f.ApplySettings,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if printChecklist {
				_, err := f.IO.Out.Write(demo.Checklist)
				return err
			}
			if err := opts.complete(f, cmd); err != nil {
				return err
			}
			return demoRun(cmd.Context(), opts)
		},
	}
	opts.addRunFlags(cmd.Flags())
	cmd.Flags().BoolVar(&printChecklist, "print-checklist", false, "print the demo checklist and exit")
	cmdutil.CommandLineOnly(cmd.Flags(), "print-checklist")
	return cmd
}

func demoRun(ctx context.Context, o *CheckOptions) error {
	svcs, err := demo.Start()
	if err != nil {
		return err
	}
	defer svcs.Stop(context.WithoutCancel(ctx))
	for k, v := range o.Vars {
		svcs.Vars[k] = v
	}
	cl, err := checklist.Parse("demo/checklist.yaml", demo.Checklist, checklist.Options{Vars: svcs.Vars, LookupEnv: o.LookupEnv})
	if err != nil {
		return err
	}
	if err := checkSelection(cl, o.runnerOptions()); err != nil {
		return err
	}
	return runChecklist(ctx, o, cl)
}
