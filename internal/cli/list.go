package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/readyctl/readyctl/internal/cmdutil"
)

// ListOptions are the settings of `readyctl list`.
type ListOptions struct {
	ValidateOptions
	Format string
}

// NewCmdList builds `readyctl list`. It needs no secrets: an unset
// ${env:X} is accepted (the variables a run needs are named on stderr).
func NewCmdList(f *cmdutil.Factory, runF func(context.Context, *ListOptions) error) *cobra.Command {
	opts := &ListOptions{ValidateOptions: ValidateOptions{IO: f.IO, LookupEnv: f.LookupEnv, NoEnv: true}}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the checklist's items",
		Example: `  readyctl list -f checklist.yaml
  readyctl list --format json | jq -r '.[] | select(.kind == "manual") | .id'`,
		Args:    cobra.NoArgs,
		PreRunE: f.ApplySettings,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.Complete(); err != nil {
				return err
			}
			if opts.Format != "text" && opts.Format != "json" {
				return cmdutil.UsageErrorf("%s %q: expected text or json", f.Settings.Source(cmd, "format"), opts.Format)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return listRun(opts)
		},
	}
	opts.ChecklistOptions.AddFlags(cmd.Flags())
	cmd.Flags().StringVar(&opts.Format, "format", "text", "text or json")
	return cmd
}

type listedItem struct {
	ID        string   `json:"id"`
	Section   string   `json:"section"`
	Title     string   `json:"title"`
	Kind      string   `json:"kind"`
	Severity  string   `json:"severity"`
	Phase     string   `json:"phase"`
	Tags      []string `json:"tags"`
	DependsOn []string `json:"depends_on"`
	Roles     []string `json:"roles,omitempty"`
}

func listRun(o *ListOptions) error {
	cl, err := o.load()
	if err != nil {
		return err
	}
	if len(cl.NeededEnv) > 0 {
		fmt.Fprintf(o.IO.ErrOut, "readyctl: a run needs these environment variables, not set now: %s\n", strings.Join(cl.NeededEnv, ", "))
	}
	items := make([]listedItem, 0, len(cl.Items()))
	for _, it := range cl.Items() {
		// A title may interpolate ${env:...}: list shows it masked.
		li := listedItem{ID: it.ID, Section: it.Section.ID, Title: cl.Mask(it.Title), Kind: it.Kind, Severity: string(it.Severity),
			Phase: it.Phase, Tags: nonNil(it.Tags), DependsOn: nonNil(it.DependsOn)}
		if it.Manual != nil {
			li.Roles = it.Manual.Roles
		}
		items = append(items, li)
	}
	if o.Format == "json" {
		enc := json.NewEncoder(o.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(items)
	}
	return cmdutil.Buffered(o.IO.Out, func(w io.Writer) error {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSECTION\tKIND\tSEVERITY\tPHASE\tTAGS\tTITLE")
		for _, it := range items {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", it.ID, it.Section, it.Kind, it.Severity, cmdutil.Dash(it.Phase), cmdutil.Dash(strings.Join(it.Tags, ",")), it.Title)
		}
		return tw.Flush()
	})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
