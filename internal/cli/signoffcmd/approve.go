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
	cmd := &cobra.Command{
		Use:   "approve --role ROLE --report REPORT.json",
		Short: "Approve a run, in a role, from its JSON report",
		Long: `Record your approval, in a role, of the run whose JSON report you give
(readyctl check -o json=report.json). The approval holds the report's sha256
and the checklist's: it counts for every later run of the same checklist, and
goes stale when the checklist changes. The roles under signoff.require must
all approve before a run can be ready.

A report whose verdict is not ready (other than for missing approvals) is
refused, unless --force with a --note saying why.`,
		Example: `  readyctl check --env production -o json=report.json
  readyctl approve --role qa-lead --report report.json --key ~/.ssh/id_ed25519
  readyctl approve --role technical-director --report report.json --force --note "load test waived by CAB-1234"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cmdutil.BindFlags(f, cmd)
			so, err := signerOptions(f, cmd)
			if err != nil {
				return err
			}
			o := &ApproveOptions{SignerOptions: so, Role: f.Config.GetString("role"), Report: f.Config.GetString("report")}
			// Only on the command line: an environment variable or a config
			// file must never approve a failing run on someone's behalf.
			o.Force, _ = cmd.Flags().GetBool("force")
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
	addSignerFlags(cmd.Flags())
	cmd.Flags().String("role", "", "the role you approve in (one of signoff.roles)")
	cmd.Flags().String("report", "", "the run's JSON report")
	cmd.Flags().Bool("force", false, "approve a report that is not ready (needs --note)")
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
			cl.Path, short(rep.Checklist.SHA256), short(cl.SHA256))
	}
	if len(cl.Signoff.Roles) > 0 {
		if _, ok := cl.Signoff.Role(o.Role); !ok {
			return cmdutil.UsageErrorf("--role %s is not declared under signoff.roles (declared: %s)", o.Role, strings.Join(cl.Signoff.RoleIDs(), ", "))
		}
	}
	ready := rep.Verdict == report.Ready || readyApartFromApprovals(rep)
	if !ready && !o.Force {
		s := rep.Summary
		return fmt.Errorf("refusing to approve: the report's verdict is %s (%d fail, %d error, %d pending): fix it and approve a new report, or pass --force --note WHY",
			rep.Verdict, s.Fail, s.Error, s.Pending)
	}
	o.identity(ctx, cl)
	if err := o.checkSigner(cl); err != nil {
		return err
	}
	r, err := o.base(ctx, cl, signoff.Approve)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	r.Role, r.ReportSHA256, r.ReportVerdict, r.Forced = o.Role, hex.EncodeToString(sum[:]), rep.Verdict, !ready
	j, err := o.record(ctx, cl, r)
	if err != nil {
		return err
	}
	what := "a ready report"
	switch {
	case rep.Verdict != report.Ready && ready:
		what = "a report ready but for approvals"
	case !ready:
		what = "a NOT READY report (--force)"
	}
	_, err = fmt.Fprintf(o.IO.Out, "approved as %s %s, %s: %s\n", o.Role, what, o.Report, describeRecorded(j))
	return err
}

// readyApartFromApprovals: a report that is not ready only because
// required approvals were missing is what approvals are for. The verdict
// is decided again by the one function that decides it.
func readyApartFromApprovals(rep report.Report) bool {
	if rep.Interrupted {
		return false
	}
	again := rep
	again.Signoffs = nil
	again.Finish(rep.Sections, true)
	return again.Verdict == report.Ready
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}
