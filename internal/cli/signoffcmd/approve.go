package signoffcmd

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/readyctl/readyctl/internal/cmdutil"
	"github.com/readyctl/readyctl/internal/report"
	"github.com/readyctl/readyctl/internal/signoff"
)

// ApproveOptions are the settings of `readyctl approve`.
type ApproveOptions struct {
	*SignerOptions
	Role   string
	Report string
	Force  bool
}

// NewCmdApprove builds `readyctl approve`.
func NewCmdApprove(f *cmdutil.Factory, runF func(context.Context, *ApproveOptions) error) *cobra.Command {
	o := &ApproveOptions{SignerOptions: newSignerOptions(f)}
	cmd := &cobra.Command{
		Use:   "approve --role ROLE --report REPORT.json",
		Short: "Approve a run, in a role, from its JSON report",
		Long: `Record your approval, in a role, of the run whose JSON report you give
(readyctl check -o json=report.json). The approval holds the report's sha256,
the checklist's and the release the run checked (--release, else the commit
checked out): it counts for later runs of the same checklist and release only,
and goes stale when the checklist changes. An approval of a --phase run counts
only for runs of that phase. The roles under signoff.require must all approve
before a run can be ready.

A report of part of the checklist (--only, --tags, --skip, --exclude-tags), and
a report whose verdict is not ready (other than for missing approvals), are
refused, unless --force with a --note saying why.`,
		Example: `  readyctl check --env production -o json=report.json
  readyctl approve --role qa-lead --report report.json --key ~/.ssh/id_ed25519
  readyctl approve --role technical-director --report report.json --force --note "load test waived by CAB-1234"`,
		Args:    cobra.NoArgs,
		PreRunE: f.ApplySettings,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.complete(); err != nil {
				return err
			}
			switch {
			case o.Role == "":
				return cmdutil.UsageErrorf("--role: say which role approves")
			case o.Report == "":
				return cmdutil.UsageErrorf("--report: name the JSON report of the run you approve (readyctl check -o json=report.json)")
			case o.Force && strings.TrimSpace(o.Note) == "":
				return cmdutil.UsageErrorf("--force needs a --note saying why a run that is not ready is approved")
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return approveRun(cmd.Context(), o)
		},
	}
	o.addFlags(cmd.Flags())
	cmd.Flags().StringVar(&o.Role, "role", "", "the role you approve in (one of signoff.roles)")
	cmd.Flags().StringVar(&o.Report, "report", "", "the run's JSON report")
	cmd.Flags().BoolVar(&o.Force, "force", false, "approve a report that is not ready (needs --note)")
	// Only on the command line: an environment variable or a config file
	// must never approve a failing run on someone's behalf.
	cmdutil.CommandLineOnly(cmd.Flags(), "force")
	return cmd
}

func approveRun(ctx context.Context, o *ApproveOptions) error {
	data, err := os.ReadFile(o.Report)
	if err != nil {
		return cmdutil.UsageErrorf("--report: %v", err)
	}
	var rep report.Report
	if err := json.Unmarshal(data, &rep); err != nil || rep.Schema != report.Schema {
		return cmdutil.UsageErrorf("--report %s is not a readyctl JSON report (readyctl check -o json=%s)", o.Report, o.Report)
	}
	if o.Env == "" {
		o.Env = rep.Environment
	} else if o.Env != rep.Environment {
		return cmdutil.UsageErrorf("--env %s, but the report is of environment %q", o.Env, rep.Environment)
	}
	cl, err := o.definitions()
	if err != nil {
		return err
	}
	if rep.Checklist.SHA256 != cl.SHA256 {
		return fmt.Errorf("the report was made from another version of %s (sha256 %s, the file is now %s): run readyctl check again and approve that report",
			cl.Path, signoff.Short(rep.Checklist.SHA256), signoff.Short(cl.SHA256))
	}
	if err := checkRole(cl, o.Role); err != nil {
		return err
	}
	partial := partialSelection(rep.Selection)
	if partial != "" && !o.Force {
		return fmt.Errorf("refusing to approve: the report covers only part of the checklist (%s); approve a run of the whole checklist (or of one --phase), or pass --force --note WHY", partial)
	}
	// Ready but for approvals is what approving is for; anything else
	// that blocks is said, in the report's own words.
	var blocking []string
	for _, b := range rep.Blocking() {
		if b.Role != "" && b.Item == "" {
			continue
		}
		what := b.Item
		if what == "" {
			what = b.Section
		}
		if what == "" {
			what = b.Reason
		}
		blocking = append(blocking, what)
	}
	ready := len(blocking) == 0
	if !ready && !o.Force {
		s := rep.Summary
		return fmt.Errorf("refusing to approve: the report's verdict is %s (%d fail, %d error, %d pending): fix it and approve a new report, or pass --force --note WHY; blocking: %s",
			rep.Verdict, s.Fail, s.Error, s.Pending, strings.Join(blocking, ", "))
	}
	o.identity(ctx, cl)
	if err := o.checkSigner(cl); err != nil {
		return err
	}
	r, err := o.base(ctx, cl, signoff.Approve)
	if err != nil {
		return err
	}
	// An approval is of one release: the report's. Approving it as another
	// (the commit checked out here has moved on) would approve what nobody
	// checked, and would not count for the run that was checked.
	if rep.Release != "" && r.Release != rep.Release {
		mine := "release " + signoff.Short(r.Release)
		if r.Release == "" {
			mine = "no release (not a git checkout)"
		}
		return fmt.Errorf("the report is of release %s, but this approval would be for %s (the commit checked out, or --release): check out %s or pass --release %s",
			signoff.Short(rep.Release), mine, signoff.Short(rep.Release), rep.Release)
	}
	if rep.Selection != nil {
		r.Phase = rep.Selection.Phase
	}
	sum := sha256.Sum256(data)
	r.Role, r.ReportSHA256, r.ReportVerdict, r.Forced = o.Role, hex.EncodeToString(sum[:]), rep.Verdict, !ready || partial != ""
	j, err := o.record(ctx, cl, r)
	if err != nil {
		return err
	}
	what := "a ready report"
	switch {
	case !ready:
		what = "a NOT READY report (--force)"
	case partial != "":
		what = "a report of part of the checklist (--force)"
	case rep.Verdict != report.Ready:
		what = "a report ready but for approvals"
	}
	if r.Phase != "" {
		what += " of phase " + r.Phase
	}
	_, err = fmt.Fprintf(o.IO.Out, "approved as %s %s, %s: %s\n", o.Role, what, o.Report, describeRecorded(j))
	return err
}

// partialSelection says how a run was narrowed to part of the checklist
// beyond its phase ("" = the whole checklist, or one whole phase).
func partialSelection(s *report.Selection) string {
	if s == nil {
		return ""
	}
	var parts []string
	for _, f := range []struct {
		flag string
		v    []string
	}{{"--only", s.Only}, {"--tags", s.Tags}, {"--skip", s.Skip}, {"--exclude-tags", s.ExcludeTags}} {
		if len(f.v) > 0 {
			parts = append(parts, f.flag+" "+strings.Join(f.v, ","))
		}
	}
	return strings.Join(parts, "; ")
}
