package signoffcmd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/cmdutil"
	"github.com/readyctl/readyctl/internal/signoff"
)

// SignoffOptions are the settings of `readyctl signoff`.
type SignoffOptions struct {
	*SignerOptions
	Item   string // "" = ask, item by item, on the terminal
	Role   string
	Reject bool
	Phase  string
	// ConfigPath is where the name and email given interactively are kept.
	ConfigPath string
}

// NewCmdSignoff builds `readyctl signoff`.
func NewCmdSignoff(f *cmdutil.Factory, runF func(context.Context, *SignoffOptions) error) *cobra.Command {
	o := &SignoffOptions{SignerOptions: newSignerOptions(f)}
	cmd := &cobra.Command{
		Use:   "signoff [ITEM]",
		Short: "Attest a manual item (or, on a terminal, walk the pending ones)",
		Long: `Record that you, in a role, confirm a manual item of the checklist: one small
JSON file under the sign-off directory (default .readyctl/signoffs beside the
checklist; commit it with the checklist). With --key the record is signed
(sshsig, namespace "readyctl"); a checklist with signoff.allowed_signers
accepts only signed records by listed keys.

Without ITEM, on a terminal, readyctl asks about each pending manual item of
the --phase: yes, no, skip or quit, and a note. It remembers your name and
email in the config file.

The record is checked as 'readyctl check' will check it; one that would not
count (role not permitted, key not allowed, ...) is refused, exit 1.`,
		Example: `  readyctl signoff rollback-tested --role qa-lead --name "Ada Lovelace" --email ada@example.com
  readyctl signoff dr-documented --role operations-lead --key ~/.ssh/id_ed25519 --note "runbook v3 reviewed"
  readyctl signoff team-trained --role devops-engineer --key agent --expires 90d
  readyctl signoff --phase pre-deploy          # interactive, on a terminal`,
		Args:    cobra.MaximumNArgs(1),
		PreRunE: f.ApplySettings,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.complete(); err != nil {
				return err
			}
			o.ConfigPath = cmdutil.ConfigPath()
			if len(args) == 1 {
				o.Item = args[0]
			}
			if o.Item == "" && !o.IO.IsStdinTTY() {
				return cmdutil.UsageErrorf("no ITEM given, and stdin is not a terminal to ask on: name the item and who signs, " +
					"e.g. readyctl signoff ITEM --role ROLE --name NAME --email EMAIL [--note TEXT] [--key KEY]")
			}
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return signoffRun(cmd.Context(), o)
		},
	}
	o.addFlags(cmd.Flags())
	cmd.Flags().StringVar(&o.Role, "role", "", "the role you sign in (default: the item's only permitted role)")
	cmd.Flags().BoolVar(&o.Reject, "reject", false, `record a "no": the item is not done (it fails until someone confirms it)`)
	cmd.Flags().StringVar(&o.Phase, "phase", "", "interactive: ask only about manual items of this phase")
	// A "no" is said on the command line, never by configuration.
	cmdutil.CommandLineOnly(cmd.Flags(), "reject")
	return cmd
}

func signoffRun(ctx context.Context, o *SignoffOptions) error {
	cl, err := o.definitions()
	if err != nil {
		return err
	}
	o.identity(ctx, cl)
	if o.Item == "" {
		return signoffInteractive(ctx, o, cl)
	}
	it, err := manualItem(cl, o.Item)
	if err != nil {
		return err
	}
	role, err := chooseRole(cl, it, o.Role)
	if err != nil {
		return err
	}
	if err := o.checkSigner(cl); err != nil {
		return err
	}
	decision := signoff.Confirmed
	if o.Reject {
		decision = signoff.Rejected
	}
	j, err := attest(ctx, o, cl, it, role, decision, o.Note)
	if err != nil {
		return err
	}
	verb := "attested"
	if o.Reject {
		verb = "rejected"
	}
	_, err = fmt.Fprintf(o.IO.Out, "%s %s as %s: %s\n", verb, it.ID, role, describeRecorded(j))
	return err
}

func attest(ctx context.Context, o *SignoffOptions, cl *checklist.Checklist, it *checklist.Item, role, decision, note string) (*signoff.Judged, error) {
	r, err := o.base(ctx, cl, signoff.Attest)
	if err != nil {
		return nil, err
	}
	digest, err := signoff.ItemDigest(it)
	if err != nil {
		return nil, err
	}
	r.Item, r.Role, r.Decision, r.Note, r.ItemSHA256 = it.ID, role, decision, note, digest
	return o.record(ctx, cl, r)
}

// manualItem finds the item a person wants to attest.
func manualItem(cl *checklist.Checklist, id string) (*checklist.Item, error) {
	it, err := findItem(cl, id)
	if err != nil {
		return nil, err
	}
	if it.Manual == nil {
		return nil, cmdutil.UsageErrorf("item %s is checked by its %s probe, not by a person: to accept its failure for a while, use readyctl waive %s --reason ... --expires DATE", id, it.Kind, id)
	}
	return it, nil
}

func findItem(cl *checklist.Checklist, id string) (*checklist.Item, error) {
	var ids []string
	for _, it := range cl.Items() {
		if it.ID == id {
			return it, nil
		}
		ids = append(ids, it.ID)
	}
	msg := fmt.Sprintf("no item %q in %s", id, cl.Path)
	if s := checklist.Suggest(id, ids); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return nil, cmdutil.UsageErrorf("%s", msg)
}

// chooseRole checks --role against the item and the policy, or picks the
// item's only permitted role.
func chooseRole(cl *checklist.Checklist, it *checklist.Item, role string) (string, error) {
	permitted := it.Manual.Roles
	if role == "" {
		if len(permitted) == 1 {
			return permitted[0], nil
		}
		if len(permitted) > 1 {
			return "", cmdutil.UsageErrorf("--role: item %s may be attested by %s: say which role you sign in", it.ID, strings.Join(permitted, " or "))
		}
		return "", cmdutil.UsageErrorf("--role: say which role you sign in")
	}
	if len(permitted) > 0 && !slices.Contains(permitted, role) {
		return "", cmdutil.UsageErrorf("--role %s may not attest %s (permitted: %s)", role, it.ID, strings.Join(permitted, ", "))
	}
	if err := checkRole(cl, role); err != nil {
		return "", err
	}
	return role, nil
}

// signoffInteractive walks the pending manual items of the phase: refuse
// early what could never be recorded, list what waits, learn who signs,
// then ask about each item in turn.
func signoffInteractive(ctx context.Context, o *SignoffOptions, cl *checklist.Checklist) error {
	p := &prompter{in: bufio.NewReader(o.IO.In), out: o.IO.ErrOut}
	if o.Role != "" {
		if err := checkRole(cl, o.Role); err != nil {
			return err
		}
	}
	if cl.Signoff.AllowedSigners != "" && o.Key == "" {
		return o.checkSigner(cl)
	}
	todo, err := pendingItems(ctx, o, cl)
	if err != nil {
		return err
	}
	scope := "the checklist"
	if o.Phase != "" {
		scope = "phase " + o.Phase
	}
	if len(todo) == 0 {
		fmt.Fprintf(o.IO.ErrOut, "Nothing to sign: every manual item of %s has a valid sign-off.\n", scope)
		return nil
	}
	fmt.Fprintf(o.IO.ErrOut, "%d manual item(s) of %s wait for a sign-off.\n", len(todo), scope)
	if err := askIdentity(p, o); err != nil {
		return quitErr(err)
	}
	if err := o.checkSigner(cl); err != nil {
		return err
	}
	var recorded, skipped int
walk:
	for i, t := range todo {
		showPending(o, i, len(todo), t)
		outcome, err := signOne(ctx, p, o, cl, t.it)
		switch {
		case errors.Is(err, errQuit):
			break walk
		case err != nil:
			return quitErr(err)
		case outcome == signed:
			recorded++
		case outcome == skippedIt:
			skipped++
		}
	}
	fmt.Fprintf(o.IO.ErrOut, "\nRecorded %d sign-off(s), skipped %d.\n", recorded, skipped)
	return nil
}

// pending is a manual item without a valid sign-off, and why.
type pending struct {
	it *checklist.Item
	d  signoff.Decision
}

// pendingItems are the manual items of the phase (and of the role, when
// one was given) that have no valid attestation.
func pendingItems(ctx context.Context, o *SignoffOptions, cl *checklist.Checklist) ([]pending, error) {
	book, err := o.openBook(ctx, cl, false)
	if err != nil {
		return nil, err
	}
	var todo []pending
	for _, it := range cl.Items() {
		if it.Manual == nil || (o.Phase != "" && it.Phase != o.Phase) {
			continue
		}
		if o.Role != "" && len(it.Manual.Roles) > 0 && !slices.Contains(it.Manual.Roles, o.Role) {
			continue
		}
		if d := book.Attestation(it.ID); d.State != signoff.Valid {
			todo = append(todo, pending{it, d})
		}
	}
	return todo, nil
}

// askIdentity asks for the name and email nobody gave, and remembers them
// in the config file for next time.
func askIdentity(p *prompter, o *SignoffOptions) error {
	if o.Name != "" && o.Email != "" {
		return nil
	}
	remembered := false
	for o.Name == "" {
		name, err := p.ask("Your name: ")
		if err != nil {
			return err
		}
		o.Name, remembered = name, true
	}
	if o.Email == "" {
		email, err := p.ask("Your email (the principal of your signing key; Enter for none): ")
		if err != nil {
			return err
		}
		o.Email, remembered = email, remembered || email != ""
	}
	if remembered {
		if err := rememberIdentity(o.ConfigPath, o.Name, o.Email); err != nil {
			fmt.Fprintf(o.IO.ErrOut, "(could not remember your name in %s: %v)\n", o.ConfigPath, err)
		} else {
			fmt.Fprintf(o.IO.ErrOut, "(remembered in %s)\n", o.ConfigPath)
		}
	}
	return nil
}

// showPending prints one item the way a person decides on it: what, where,
// who may sign, the instructions, and the sign-off that does not count.
func showPending(o *SignoffOptions, i, n int, t pending) {
	it, w := t.it, o.IO.ErrOut
	fmt.Fprintf(w, "\n[%d/%d] %s: %s\n", i+1, n, it.ID, it.Title)
	fmt.Fprintf(w, "      section %s · %s", it.Section.Title, it.Severity)
	if len(it.Manual.Roles) > 0 {
		fmt.Fprintf(w, " · roles %s", strings.Join(it.Manual.Roles, ", "))
	}
	fmt.Fprintln(w)
	if s := strings.TrimSpace(it.Manual.Instructions); s != "" {
		fmt.Fprintf(w, "      %s\n", strings.ReplaceAll(s, "\n", "\n      "))
	}
	if j := t.d.Record; j != nil {
		fmt.Fprintf(w, "      now: sign-off by %s (%s, %s) is %s: %s\n", j.Record.Signer(), j.Record.Role,
			j.Record.Created.UTC().Format("2006-01-02"), j.State, j.Reason)
	}
}

// errQuit is the person's "q": stop asking, keep what was recorded.
var errQuit = errors.New("quit")

// What became of one item in the interactive walk.
type outcome int

const (
	skippedIt outcome = iota // the person said skip
	signed                   // recorded
	refused                  // the record would not count: not written, reason shown
)

// signOne asks about one item and records the answer.
func signOne(ctx context.Context, p *prompter, o *SignoffOptions, cl *checklist.Checklist, it *checklist.Item) (outcome, error) {
	answer, err := askDecision(p)
	switch {
	case err != nil:
		return skippedIt, err
	case answer == "q":
		return skippedIt, errQuit
	case answer == "s":
		return skippedIt, nil
	}
	role := o.Role
	if role == "" {
		if role, err = askRole(p, cl, it); err != nil {
			return skippedIt, err
		}
	}
	note, err := p.ask("      Note (optional): ")
	if err != nil && !errors.Is(err, io.EOF) {
		return skippedIt, err
	}
	decision := signoff.Confirmed
	if answer == "n" {
		decision = signoff.Rejected
	}
	j, err := attest(ctx, o, cl, it, role, decision, note)
	if err != nil {
		fmt.Fprintf(o.IO.ErrOut, "      %v\n", err)
		return refused, nil
	}
	fmt.Fprintf(o.IO.Out, "%s %s as %s: %s\n", map[string]string{signoff.Confirmed: "attested", signoff.Rejected: "rejected"}[decision], it.ID, role, describeRecorded(j))
	return signed, nil
}

func askDecision(p *prompter) (string, error) {
	for {
		a, err := p.ask("      Done? [y]es / [n]o / [s]kip / [q]uit: ")
		if err != nil {
			return "", err
		}
		switch strings.ToLower(a) {
		case "y", "yes":
			return "y", nil
		case "n", "no":
			return "n", nil
		case "s", "skip", "":
			return "s", nil
		case "q", "quit":
			return "q", nil
		}
	}
}

func askRole(p *prompter, cl *checklist.Checklist, it *checklist.Item) (string, error) {
	choices := it.Manual.Roles
	if len(choices) == 0 {
		choices = cl.Signoff.RoleIDs()
	}
	if len(choices) == 1 {
		return choices[0], nil
	}
	for {
		q := "      Your role: "
		if len(choices) > 0 {
			q = fmt.Sprintf("      Your role (%s): ", strings.Join(choices, ", "))
		}
		a, err := p.ask(q)
		if err != nil {
			return "", err
		}
		if a != "" && (len(choices) == 0 || slices.Contains(choices, a)) {
			return a, nil
		}
	}
}

// quitErr: closing the input (Ctrl-D) ends the session quietly.
func quitErr(err error) error {
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}
