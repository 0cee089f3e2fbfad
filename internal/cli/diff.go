package cli

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/readyctl/readyctl/internal/cmdutil"
	"github.com/readyctl/readyctl/internal/history"
)

// DiffOptions are the settings of `readyctl diff`.
type DiffOptions struct {
	IO        *cmdutil.IOStreams
	A, B      string
	Threshold string
	Format    string
}

// NewCmdDiff builds `readyctl diff A.json B.json`.
func NewCmdDiff(f *cmdutil.Factory) *cobra.Command {
	o := &DiffOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "diff A.json B.json",
		Short: "Show what changed between two JSON reports",
		Long: `Compare two JSON reports (-o json=..., or files kept with --history): the
items whose status changed (or that only one run has), and the numeric
observations (durations in milliseconds) that moved by more than
--threshold, either way; one that went from 0 to something is always shown.
Exit 0 whatever changed: diff informs, it does not gate.`,
		Example: `  readyctl diff yesterday.json today.json
  readyctl diff --threshold 25% --format json a.json b.json`,
		Args:    cobra.ExactArgs(2),
		PreRunE: f.ApplySettings,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.A, o.B = args[0], args[1]
			if o.Format != "text" && o.Format != "json" {
				return cmdutil.UsageErrorf("--format %q: expected text or json", o.Format)
			}
			return diffRun(o)
		},
	}
	cmd.Flags().StringVar(&o.Threshold, "threshold", "10%", "show observations that moved by more than this, in percent (10% or 10)")
	cmd.Flags().StringVar(&o.Format, "format", "text", "text or json")
	return cmd
}

func diffRun(o *DiffOptions) error {
	threshold, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(o.Threshold), "%"), 64)
	if err != nil || threshold < 0 {
		return cmdutil.UsageErrorf("--threshold %q: expected a percentage such as 10%%", o.Threshold)
	}
	a, err := history.Read(o.A)
	if err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	b, err := history.Read(o.B)
	if err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	d := history.Compare(a, b, threshold)
	d.A, d.B = o.A, o.B
	if o.Format == "json" {
		enc := json.NewEncoder(o.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(d)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s (%s) → %s (%s)\n", termSafeCell(d.A), termSafeCell(d.VerdictA), termSafeCell(d.B), termSafeCell(d.VerdictB))
	if len(d.Status) == 0 && len(d.Moved) == 0 {
		fmt.Fprintf(&sb, "no status changed and no observation moved by more than %g%%\n", threshold)
	}
	if len(d.Status) > 0 {
		sb.WriteString("\nStatus\n")
		for _, s := range d.Status {
			line := fmt.Sprintf("  %s: %s → %s", s.Item, cmdutil.Dash(s.Before), cmdutil.Dash(s.After))
			if s.Message != "" {
				line += ": " + s.Message
			}
			sb.WriteString(termSafeCell(line) + "\n")
		}
	}
	if len(d.Moved) > 0 {
		fmt.Fprintf(&sb, "\nMoved by more than %g%%\n", threshold)
		for _, m := range d.Moved {
			sb.WriteString(termSafeCell(fmt.Sprintf("  %s %s: %s", m.Item, m.Observation, m.Change.String())) + "\n")
		}
	}
	_, err = fmt.Fprint(o.IO.Out, sb.String())
	return err
}
