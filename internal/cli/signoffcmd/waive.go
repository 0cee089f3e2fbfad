package signoffcmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/cmdutil"
	"github.com/readyctl/readyctl/internal/signoff"
)

// WaiveOptions are the settings of `readyctl waive`.
type WaiveOptions struct {
	*SignerOptions
	Item string
	Role string
}

// NewCmdWaive builds `readyctl waive`.
func NewCmdWaive(f *cmdutil.Factory, runF func(context.Context, *WaiveOptions) error) *cobra.Command {
	o := &WaiveOptions{SignerOptions: newSignerOptions(f)}
	var reason string
	cmd := &cobra.Command{
		Use:   "waive ITEM --reason TEXT --expires DATE",
		Short: "Accept a failing item for a while, with a justification",
		Long: `Record a waiver: until it expires, the item's failure shows as "waived" with
your justification and no longer blocks the verdict. The waiver goes stale
when the item's definition changes. Critical items can be waived only when
the checklist says signoff: {allow_critical_waivers: true}.`,
		Example: `  readyctl waive legacy-status --reason "page retired in PLAT-812" --expires 2026-03-01
  readyctl waive backup-age --reason "backup window moved" --expires 7d --role operations-lead --key agent`,
		Args:    cobra.ExactArgs(1),
		PreRunE: f.ApplySettings,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.complete(); err != nil {
				return err
			}
			o.Note, o.Item = reason, args[0] // a waiver's note is its --reason
			switch {
			case strings.TrimSpace(o.Note) == "":
				return cmdutil.UsageErrorf("--reason: say why this failure is acceptable for now")
			case o.Expires == "":
				return cmdutil.UsageErrorf("--expires: a waiver must end, e.g. --expires 2026-03-01 or --expires 14d")
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return waiveRun(cmd.Context(), o)
		},
	}
	o.addFlags(cmd.Flags())
	cmd.Flags().StringVar(&reason, "reason", "", "why the failure is acceptable until the waiver expires (required)")
	cmd.Flags().StringVar(&o.Role, "role", "", "the role you waive in (optional; one of signoff.roles)")
	_ = cmd.Flags().MarkHidden("note") // a waiver's note is its --reason
	return cmd
}

func waiveRun(ctx context.Context, o *WaiveOptions) error {
	cl, err := o.definitions()
	if err != nil {
		return err
	}
	it, err := findItem(cl, o.Item)
	if err != nil {
		return err
	}
	if it.Manual != nil {
		return cmdutil.UsageErrorf("item %s is manual: a person attests it (readyctl signoff %s), it cannot be waived", it.ID, it.ID)
	}
	if it.Severity == checklist.Critical && !cl.Signoff.AllowCriticalWaivers {
		return fmt.Errorf("refusing to waive %s: it is critical, and %s does not allow critical waivers (signoff: {allow_critical_waivers: true})", it.ID, cl.Path)
	}
	if o.Role != "" {
		if err := checkRole(cl, o.Role); err != nil {
			return err
		}
	}
	o.identity(ctx, cl)
	if err := o.checkSigner(cl); err != nil {
		return err
	}
	r, err := o.base(ctx, cl, signoff.Waive)
	if err != nil {
		return err
	}
	digest, err := signoff.ItemDigest(it)
	if err != nil {
		return err
	}
	r.Item, r.Role, r.ItemSHA256 = it.ID, o.Role, digest
	j, err := o.record(ctx, cl, r)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(o.IO.Out, "waived %s until %s: %s\n", it.ID, r.Expires.UTC().Format("2006-01-02 15:04 MST"), describeRecorded(j))
	return err
}
