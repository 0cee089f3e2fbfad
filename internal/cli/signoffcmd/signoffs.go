package signoffcmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/readyctl/readyctl/internal/cmdutil"
	"github.com/readyctl/readyctl/internal/report"
	"github.com/readyctl/readyctl/internal/runner"
	"github.com/readyctl/readyctl/internal/signoff"
)

// SignoffsOptions are the settings of `readyctl signoffs list|verify`.
type SignoffsOptions struct {
	*SignerOptions
	Format string
	Verify bool // exit 1 when any record cannot be trusted
}

// ErrUntrusted is returned by `signoffs verify` after listing records of
// which at least one is invalid; the listing said which.
var ErrUntrusted = errors.New("untrusted sign-off records")

// NewCmdSignoffs builds `readyctl signoffs` and its list and verify verbs.
func NewCmdSignoffs(f *cmdutil.Factory, runF func(context.Context, *SignoffsOptions) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "signoffs",
		Short: "List or verify the recorded sign-offs",
		Example: `  readyctl signoffs list
  readyctl signoffs verify -f checklist.yaml     # exit 1 if any record is invalid`,
		Args: cobra.NoArgs,
	}
	for _, verb := range []struct {
		name, short, long, example string
		verify                     bool
	}{
		{"list", "Show every sign-off record with its state", `Show every record in the sign-off directory with its state as the checklist
stands now: valid, expired, stale (what was signed has changed) or invalid
(and why).`, "  readyctl signoffs list\n  readyctl signoffs list --format json | jq '.[] | select(.state != \"valid\")'", false},
		{"verify", "Check every sign-off record; exit 1 if any is invalid", `Like list, and exit 1 when any record is invalid: edited after it was
written, signed by a key not in allowed_signers, for a role that may not sign
it, and so on. Expired and stale records are part of normal life and do not
fail verify; 'readyctl check' ignores them.`, "  readyctl signoffs verify\n  readyctl signoffs verify --signoffs ci/signoffs --format json", true},
	} {
		o := &SignoffsOptions{SignerOptions: newSignerOptions(f), Verify: verb.verify}
		sub := &cobra.Command{
			Use: verb.name, Short: verb.short, Long: verb.long, Example: verb.example, Args: cobra.NoArgs,
			PreRunE: f.ApplySettings,
			RunE: func(cmd *cobra.Command, _ []string) error {
				if err := o.complete(); err != nil {
					return err
				}
				if o.Format != "text" && o.Format != "json" {
					return cmdutil.UsageErrorf("--format %q: expected text or json", o.Format)
				}
				if runF != nil {
					return runF(cmd.Context(), o)
				}
				return signoffsRun(cmd.Context(), o)
			},
		}
		o.ChecklistOptions.AddFlags(sub.Flags())
		o.addSignoffDirFlag(sub.Flags())
		sub.Flags().StringVar(&o.Format, "format", "text", "text or json")
		cmd.AddCommand(sub)
	}
	cmd.AddCommand(newCmdSignoffsPayload(f))
	return cmd
}

// newCmdSignoffsPayload prints what a record's signature covers, for
// checking it with other tools.
func newCmdSignoffsPayload(f *cmdutil.Factory) *cobra.Command {
	var signature bool
	cmd := &cobra.Command{
		Use:   "payload FILE",
		Short: "Print the exact bytes a record's signature covers (or, with --signature, the signature)",
		Long: `Print the record's bytes exactly as signed, so that a signature can be checked
without readyctl: with --signature, print the armored sshsig signature instead.`,
		Example: `  readyctl signoffs payload .readyctl/signoffs/F.json > F.msg
  readyctl signoffs payload --signature .readyctl/signoffs/F.json > F.sig
  ssh-keygen -Y verify -f allowed_signers -I ada@example.com -n readyctl -s F.sig < F.msg`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e := signoff.ReadFile(args[0])
			if e.Bytes == nil {
				return fmt.Errorf("%s: %v", args[0], e.Err)
			}
			if signature {
				if e.Signature == "" {
					return fmt.Errorf("%s is not signed", args[0])
				}
				_, err := io.WriteString(f.IO.Out, e.Signature)
				return err
			}
			_, err := f.IO.Out.Write(e.Bytes)
			return err
		},
	}
	cmd.Flags().BoolVar(&signature, "signature", false, "print the armored signature instead")
	cmdutil.CommandLineOnly(cmd.Flags(), "signature")
	return cmd
}

func signoffsRun(ctx context.Context, o *SignoffsOptions) error {
	cl, err := o.definitions()
	if err != nil {
		return err
	}
	book, err := o.openBook(ctx, cl, true)
	if err != nil {
		return err
	}
	rows := runner.SignoffRows(cl, book.Entries())
	invalid := 0
	for _, row := range rows {
		if row.State == signoff.Invalid {
			invalid++
		}
	}
	if err := book.AllowedSignersErr(); err != nil {
		fmt.Fprintf(o.IO.ErrOut, "readyctl: warning: %v\n", err)
	}
	if o.Format == "json" {
		enc := json.NewEncoder(o.IO.Out)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rows); err != nil {
			return err
		}
	} else if err := printSignoffs(o, rows, book.Entries(), o.dir(cl)); err != nil {
		return err
	}
	if o.Verify && invalid > 0 {
		return fmt.Errorf("%w: %d of %d records are invalid", ErrUntrusted, invalid, len(rows))
	}
	return nil
}

func printSignoffs(o *SignoffsOptions, rows []report.Signoff, entries []*signoff.Judged, dir string) error {
	if len(rows) == 0 {
		_, err := fmt.Fprintf(o.IO.Out, "no sign-offs in %s\n", dir)
		return err
	}
	tw := tabwriter.NewWriter(o.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STATE\tTYPE\tITEM\tROLE\tNAME\tDATE\tEXPIRES\tSIGNED\tFILE\tREASON")
	for i, r := range rows {
		date, expires, signed := "-", "-", "no"
		if !r.Date.IsZero() {
			date = r.Date.UTC().Format("2006-01-02")
		}
		if !r.Expires.IsZero() {
			expires = r.Expires.UTC().Format("2006-01-02")
		}
		if r.Key != "" {
			signed = "yes"
		} else if entries[i].Signature != "" {
			signed = "bad"
		}
		state := r.State
		if r.Decision != "" {
			state += " (" + r.Decision + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", state, cmdutil.Dash(r.Type), cmdutil.Dash(r.Item), cmdutil.Dash(r.Role), cmdutil.Dash(r.Name), date, expires, signed, filepath.Base(r.Record), r.Reason)
	}
	return tw.Flush()
}
