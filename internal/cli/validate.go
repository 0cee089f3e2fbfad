package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/cmdutil"
)

// ValidateOptions are the settings of `readyctl validate`.
type ValidateOptions struct {
	IO        *cmdutil.IOStreams
	LookupEnv func(string) (string, bool)
	File, Env string
	Vars      map[string]string
}

// NewCmdValidate builds `readyctl validate`.
func NewCmdValidate(f *cmdutil.Factory, runF func(context.Context, *ValidateOptions) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check a checklist for errors without touching the network",
		Long: `Parse, interpolate and validate the checklist, and report every problem found
as FILE:LINE:COL: item "ID": message. Exit 0 when valid, 3 when not.
No probe runs and nothing is contacted.`,
		Example: `  readyctl validate -f checklist.yaml
  readyctl validate -f checklist.yaml --env production --var api=https://api.example.com`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cmdutil.BindFlags(f, cmd)
			o := &ValidateOptions{IO: f.IO, LookupEnv: f.LookupEnv}
			var err error
			if o.File, o.Env, o.Vars, err = cmdutil.ChecklistSettings(f, cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return validateRun(o)
		},
	}
	cmdutil.AddChecklistFlags(cmd.Flags())
	return cmd
}

func validateRun(o *ValidateOptions) error {
	cl, err := checklist.Load(o.File, checklist.Options{Env: o.Env, Vars: o.Vars, LookupEnv: o.LookupEnv})
	if err != nil {
		return err
	}
	for _, w := range cl.Signoff.Warnings() {
		fmt.Fprintf(o.IO.ErrOut, "readyctl: warning: %s: %s\n", cl.Path, w)
	}
	var manual int
	for _, it := range cl.Items() {
		if it.Manual != nil {
			manual++
		}
	}
	n := len(cl.Items())
	_, err = fmt.Fprintf(o.IO.Out, "%s: ok: %d items (%d automated, %d manual) in %d sections\n", cl.Path, n, n-manual, manual, len(cl.Sections))
	return err
}
