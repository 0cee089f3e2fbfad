package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/cmdutil"
)

// ValidateOptions are the settings of `readyctl validate`.
type ValidateOptions struct {
	IO        *cmdutil.IOStreams
	LookupEnv func(string) (string, bool)
	cmdutil.ChecklistOptions
	// NoEnv accepts ${env:X} that is not set, and says which variables a
	// real run needs (linting needs no secrets).
	NoEnv bool
}

// NewCmdValidate builds `readyctl validate`.
func NewCmdValidate(f *cmdutil.Factory, runF func(context.Context, *ValidateOptions) error) *cobra.Command {
	opts := &ValidateOptions{IO: f.IO, LookupEnv: f.LookupEnv}
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check a checklist for errors without touching the network",
		Long: `Parse, interpolate and validate the checklist, and report every problem found
as FILE:LINE:COL: item "ID": message. Exit 0 when valid, 3 when not.
No probe runs and nothing is contacted.

Every ${env:X} must be set, as for a run; with --no-env an unset one is
accepted and listed as needed, so a checklist can be linted without its
secrets.`,
		Example: `  readyctl validate -f checklist.yaml
  readyctl validate -f checklist.yaml --env production --var api=https://api.example.com
  readyctl validate --no-env            # in CI, without the secrets`,
		Args:    cobra.NoArgs,
		PreRunE: f.ApplySettings,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.Complete(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return validateRun(opts)
		},
	}
	opts.ChecklistOptions.AddFlags(cmd.Flags())
	cmd.Flags().BoolVar(&opts.NoEnv, "no-env", false, "accept ${env:X} that is not set, and list the variables a run needs")
	return cmd
}

// load reads the checklist as a command that runs no probe does.
func (o *ValidateOptions) load() (*checklist.Checklist, error) {
	cl, err := checklist.Load(o.File, checklist.Options{Env: o.Env, Vars: o.Vars, LookupEnv: o.LookupEnv, NoEnv: o.NoEnv})
	if err != nil {
		return nil, err
	}
	if err := checkVars(cl, o.Vars); err != nil {
		return nil, err
	}
	return cl, nil
}

func validateRun(o *ValidateOptions) error {
	cl, err := o.load()
	if err != nil {
		return err
	}
	if err := checkNotEmpty(cl); err != nil {
		return err // check would refuse it
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
	from := ""
	if k := len(cl.Includes); k > 0 {
		from = fmt.Sprintf(" from %d files (this one and %d included)", k+1, k)
	}
	if _, err := fmt.Fprintf(o.IO.Out, "%s: ok: %d items (%d automated, %d manual) in %d sections%s\n", cl.Path, n, n-manual, manual, len(cl.Sections), from); err != nil {
		return err
	}
	if len(cl.NeededEnv) > 0 {
		_, err = fmt.Fprintf(o.IO.Out, "%s: a run needs these environment variables, not set now: %s\n", cl.Path, strings.Join(cl.NeededEnv, ", "))
	}
	return err
}
