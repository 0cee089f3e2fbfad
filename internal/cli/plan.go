package cli

import (
	"encoding/json"
	"fmt"
	stdio "io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/cmdutil"
	"github.com/readyctl/readyctl/internal/redact"
	"github.com/readyctl/readyctl/internal/runner"
)

// PlanOptions are the settings of `readyctl plan`.
type PlanOptions struct {
	IO        *cmdutil.IOStreams
	LookupEnv func(string) (string, bool)
	cmdutil.ChecklistOptions
	Only, Tags, Skip, ExcludeTags []string
	Phase                         string
	Format                        string
	AllowIntrusive                bool
}

// NewCmdPlan builds `readyctl plan`: what a check would send, with no
// network I/O.
func NewCmdPlan(f *cmdutil.Factory) *cobra.Command {
	o := &PlanOptions{IO: f.IO, LookupEnv: f.LookupEnv}
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show what a check would send, without sending anything",
		Long: `Print each item a 'readyctl check' with the same flags would run: its kind,
resolved target (secrets masked), timeout, and worst-case traffic (requests,
connections, duration, counting every retry). Intrusive items (load, rate-limit
bursts, injection canaries) say whether this environment allows them
(intrusive_environments, or --allow-intrusive). No network I/O.`,
		Example: `  readyctl plan --env production
  readyctl plan --phase pre-deploy --format json | jq '.items[] | select(.intrusive)'`,
		Args:    cobra.NoArgs,
		PreRunE: f.ApplySettings,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.ChecklistOptions.Complete(); err != nil {
				return err
			}
			if o.Format != "text" && o.Format != "json" {
				return cmdutil.UsageErrorf("%s %q: expected text or json", f.Settings.Source(cmd, "format"), o.Format)
			}
			cl, err := checklist.Load(o.File, checklist.Options{Env: o.Env, Vars: o.Vars, LookupEnv: o.LookupEnv})
			if err != nil {
				return err
			}
			ropts := runner.Options{
				Only: cmdutil.List(o.Only), Tags: cmdutil.List(o.Tags), Phase: o.Phase,
				Skip: cmdutil.List(o.Skip), ExcludeTags: cmdutil.List(o.ExcludeTags),
			}
			// The same strictness as check: a typo plans nothing silently.
			if err := checkVars(cl, o.Vars); err != nil {
				return err
			}
			if err := checkSelection(cl, ropts); err != nil {
				return err
			}
			return writePlan(o.IO, o.Format, cl, runner.Selected(cl, ropts), o.AllowIntrusive || cl.IntrusiveAllowed())
		},
	}
	o.ChecklistOptions.AddFlags(cmd.Flags())
	cmd.Flags().StringSliceVar(&o.Only, "only", nil, "plan only these item ids (their dependencies too)")
	cmd.Flags().StringSliceVar(&o.Tags, "tags", nil, "plan only items with any of these tags (comma-separated)")
	cmd.Flags().StringSliceVar(&o.Skip, "skip", nil, "leave out this item id (repeatable)")
	cmd.Flags().StringSliceVar(&o.ExcludeTags, "exclude-tags", nil, "leave out items with any of these tags (comma-separated)")
	cmd.Flags().StringVar(&o.Phase, "phase", "", "plan only items of this phase")
	cmd.Flags().StringVar(&o.Format, "format", "text", "text or json")
	cmd.Flags().BoolVar(&o.AllowIntrusive, "allow-intrusive", false, "as check --allow-intrusive")
	return cmd
}

type plannedItem struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"`
	Target      string `json:"target"`
	TimeoutMS   int64  `json:"timeout_ms"`
	Attempts    int    `json:"attempts"`
	Requests    int    `json:"requests"` // worst case over every attempt; 0 = unbounded by configuration
	Connections int    `json:"connections"`
	DurationMS  int64  `json:"duration_ms"` // worst case: every attempt to its timeout
	Intrusive   bool   `json:"intrusive"`
	Allowed     bool   `json:"allowed"`
	Exclusive   bool   `json:"exclusive"`
	Writes      bool   `json:"writes"` // the checklist allows it to change the target
}

func writePlan(io *cmdutil.IOStreams, format string, cl *checklist.Checklist, items []*checklist.Item, allow bool) error {
	red := redact.New(cl.Secrets)
	out := []plannedItem{}
	for _, it := range items {
		if it.Probe == nil {
			continue // manual: people, not traffic
		}
		attempts := 1 + it.Retries
		p := plannedItem{ID: it.ID, Kind: it.Kind, TimeoutMS: it.Timeout.Milliseconds(), Attempts: attempts, Allowed: true, Exclusive: it.Exclusive}
		if pl, ok := it.Probe.(checks.Planner); ok {
			plan := pl.Plan()
			p.Target = red.String(maskUserinfo(plan.Target))
			p.Requests = plan.Requests * attempts
			p.Connections = plan.Connections
			p.Writes = plan.Writes
		}
		p.DurationMS = (time.Duration(attempts)*it.Timeout + time.Duration(it.Retries)*it.RetryDelay).Milliseconds()
		if in, ok := it.Probe.(checks.Intrusive); ok && in.Intrusive() {
			p.Intrusive, p.Allowed = true, allow
		}
		out = append(out, p)
	}
	if format == "json" {
		enc := json.NewEncoder(io.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"environment": cl.Environment, "intrusive_allowed": allow, "items": out})
	}
	return cmdutil.Buffered(io.Out, func(w stdio.Writer) error { return writePlanTable(w, out) })
}

// writePlanTable writes the plan as a table.
func writePlanTable(w stdio.Writer, out []plannedItem) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ITEM\tKIND\tTARGET\tTIMEOUT\tWORST CASE\tNOTE")
	for _, p := range out {
		traffic := fmt.Sprintf("%d attempt(s)", p.Attempts)
		if p.Requests > 0 {
			traffic = fmt.Sprintf("%d requests", p.Requests)
		}
		if p.Connections > 1 {
			traffic += fmt.Sprintf(", %d connections", p.Connections)
		}
		traffic += ", ≤" + time.Duration(p.DurationMS*int64(time.Millisecond)).String()
		var note []string
		if p.Intrusive && p.Allowed {
			note = append(note, "intrusive")
		} else if p.Intrusive {
			note = append(note, "intrusive: skipped (environment not in intrusive_environments)")
		}
		if p.Exclusive {
			note = append(note, "runs alone")
		}
		if p.Writes {
			note = append(note, "writes (writes: true)")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.Kind, p.Target, time.Duration(p.TimeoutMS*int64(time.Millisecond)), traffic, strings.Join(note, "; "))
	}
	return tw.Flush()
}

// maskUserinfo hides a password written in a URL's user info, which is
// not a ${env:...} secret but a secret all the same.
func maskUserinfo(target string) string {
	scheme, rest, ok := strings.Cut(target, "://")
	if !ok {
		return target
	}
	at := strings.LastIndex(rest, "@")
	slash := strings.Index(rest, "/")
	if at < 0 || (slash >= 0 && slash < at) {
		return target
	}
	user, _, hasPass := strings.Cut(rest[:at], ":")
	if !hasPass {
		return target
	}
	return scheme + "://" + user + ":***" + rest[at:]
}
