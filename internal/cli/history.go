package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/readyctl/readyctl/internal/cmdutil"
	"github.com/readyctl/readyctl/internal/history"
	"github.com/readyctl/readyctl/internal/report"
)

// addHistoryFlag binds --history (also `history:` in the config file, so
// a team sets it once).
func addHistoryFlag(fs *pflag.FlagSet, dir *string) {
	fs.StringVar(dir, "history", "", "keep this run's JSON report in DIR (one file per run; see readyctl history)")
}

// saveHistory keeps the report in the history directory, if one is set.
// A history that cannot be written does not change the verdict: it is
// logged, like a failed metrics push.
func saveHistory(o *CheckOptions, rep *report.Report, logger interface{ Error(string, ...any) }) {
	if o.History == "" {
		return
	}
	if _, err := history.Save(o.History, rep); err != nil {
		logger.Error("keeping the report in the history failed; the verdict stands", "err", err)
	}
}

// baselineOf is a report's observations by item id, for baseline.NAME;
// items not measured (skipped) have none.
func baselineOf(rep *report.Report) map[string]map[string]any {
	if rep == nil {
		return nil
	}
	out := make(map[string]map[string]any, len(rep.Items))
	for _, it := range rep.Items {
		if it.Measured() {
			out[it.ID] = it.Observations
		}
	}
	return out
}

// HistoryOptions are the settings of `readyctl history`.
type HistoryOptions struct {
	IO     *cmdutil.IOStreams
	Dir    string
	Format string
}

// NewCmdHistory builds `readyctl history`.
func NewCmdHistory(f *cmdutil.Factory) *cobra.Command {
	o := &HistoryOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "history [--history DIR]",
		Short: "List the runs kept with --history",
		Long: `List the runs kept in the history directory (--history, or history: in
the config file), oldest first: when, environment, release, verdict,
duration and, for deployments, outcome and downtime. A file that is not a
readable readyctl report (too large, not JSON, another schema) is skipped
with a warning on stderr.`,
		Example: `  readyctl deploy --history .readyctl/history -- ./deploy.sh
  readyctl history --history .readyctl/history
  readyctl history --format json`,
		Args:    cobra.NoArgs,
		PreRunE: f.ApplySettings,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Dir == "" {
				return cmdutil.UsageErrorf("no history directory: give --history DIR or set history: in the config file")
			}
			if o.Format != "text" && o.Format != "json" {
				return cmdutil.UsageErrorf("--format %q: expected text or json", o.Format)
			}
			return historyRun(cmd.Context(), o)
		},
	}
	addHistoryFlag(cmd.Flags(), &o.Dir)
	cmd.Flags().StringVar(&o.Format, "format", "text", "text or json")
	return cmd
}

func historyRun(_ context.Context, o *HistoryOptions) error {
	entries, err := history.List(o.Dir, func(_ string, err error) {
		fmt.Fprintf(o.IO.ErrOut, "readyctl: skipping: %v\n", err) // err names the file
	})
	if err != nil {
		return err
	}
	if o.Format == "json" {
		enc := json.NewEncoder(o.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(entries)
	}
	tw := tabwriter.NewWriter(o.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tENVIRONMENT\tRELEASE\tVERDICT\tDURATION\tDEPLOYMENT\tDOWNTIME\tFILE")
	for _, e := range entries {
		dep, down := "-", "-"
		if e.Deploy {
			dep, down = e.Outcome, (time.Duration(e.DowntimeMS) * time.Millisecond).String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.StartedAt.UTC().Format(time.RFC3339), cmdutil.Dash(termSafeCell(e.Environment)),
			cmdutil.Dash(termSafeCell(e.Release)), termSafeCell(e.Verdict), time.Duration(e.DurationMS)*time.Millisecond, termSafeCell(dep), down, termSafeCell(e.Path))
	}
	return tw.Flush()
}

// termSafeCell is a value read from a (hostile) report file, safe on a
// terminal and inside one tabwriter cell.
func termSafeCell(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' {
			return ' '
		}
		return r
	}, report.TermSafe(s))
}
