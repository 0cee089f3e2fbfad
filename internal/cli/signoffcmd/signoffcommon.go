package signoffcmd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
	"golang.org/x/crypto/ssh"
	"golang.org/x/term"

	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/cmdutil"
	"github.com/readyctl/readyctl/internal/runner"
	"github.com/readyctl/readyctl/internal/signoff"
)

// SignerOptions are the settings every command that records a sign-off
// shares: which checklist, where records go, and who signs with what.
type SignerOptions struct {
	IO        *cmdutil.IOStreams
	LookupEnv func(string) (string, bool)
	cmdutil.ChecklistOptions
	SignoffDir string
	Name       string
	Email      string
	Key        string
	Release    string
	Note       string
	Expires    string
	Now        func() time.Time
}

func newSignerOptions(f *cmdutil.Factory) *SignerOptions {
	o := &SignerOptions{IO: f.IO, LookupEnv: f.LookupEnv, Now: time.Now}
	if o.LookupEnv == nil {
		o.LookupEnv = os.LookupEnv
	}
	return o
}

// addFlags binds the flags of commands that record a sign-off.
func (o *SignerOptions) addFlags(fs *pflag.FlagSet) {
	o.ChecklistOptions.AddFlags(fs)
	o.addSignoffDirFlag(fs)
	fs.StringVar(&o.Name, "name", "", "your name (default: name: in the config file, else git config user.name)")
	fs.StringVar(&o.Email, "email", "", "your email, the principal of your key in allowed_signers (default: email: in the config file, else git config user.email)")
	fs.StringVar(&o.Key, "key", "", `sign with this key: an ed25519 or SSH private key file, a KEY.pub held by ssh-agent, or "agent"`)
	fs.StringVar(&o.Release, "release", "", "the release this sign-off is for (default: the git commit checked out beside the checklist)")
	fs.StringVar(&o.Note, "note", "", "a note kept with the sign-off")
	fs.StringVar(&o.Expires, "expires", "", "when the sign-off stops counting: a date (2026-03-01), a time, or a duration (30d, 72h)")
}

func (o *SignerOptions) addSignoffDirFlag(fs *pflag.FlagSet) {
	fs.StringVar(&o.SignoffDir, "signoffs", "", "sign-off directory (default .readyctl/signoffs beside the checklist)")
}

// complete parses --var and tidies the identity once the settings are in.
func (o *SignerOptions) complete() error {
	o.Name, o.Email = strings.TrimSpace(o.Name), strings.TrimSpace(o.Email)
	return o.ChecklistOptions.Complete()
}

func (o *SignerOptions) getenv(k string) string {
	v, _ := o.LookupEnv(k)
	return v
}

// definitions loads the checklist as written: a person signing off needs
// neither the secrets nor the addresses a run needs.
func (o *SignerOptions) definitions() (*checklist.Checklist, error) {
	return checklist.Load(o.File, checklist.Options{Env: o.Env, Vars: o.Vars, LookupEnv: o.LookupEnv, Definitions: true})
}

func (o *SignerOptions) dir(cl *checklist.Checklist) string {
	if o.SignoffDir != "" {
		return o.SignoffDir
	}
	return signoff.DefaultDir(cl.Path)
}

func (o *SignerOptions) openBook(ctx context.Context, cl *checklist.Checklist, all bool) (*signoff.Book, error) {
	return openBook(ctx, cl, signoff.Options{Dir: o.dir(cl), Now: o.Now(), AllEnvironments: all}, o.getenv)
}

// openBook opens the book of cl, with the actors forbid_self_approval
// needs.
func openBook(ctx context.Context, cl *checklist.Checklist, so signoff.Options, getenv func(string) string) (*signoff.Book, error) {
	so.Checklist = cl
	if cl.Signoff.ForbidSelfApproval {
		so.Actors = signoff.Actors(ctx, filepath.Dir(cl.Path), so.Dir, getenv)
	}
	return signoff.Open(so)
}

// CheckSignoffs are the sign-off settings of a `check` run.
type CheckSignoffs struct {
	Dir       string // "" = the default beside the checklist
	Release   string // the run's release (see RunRelease)
	Phase     string // the run's --phase
	LookupEnv func(string) (string, bool)
	ErrOut    io.Writer // problems are logged here
	Verbose   bool
}

// RunRelease is the release a run checks: --release, else the commit
// checked out beside the checklist (not counting commits of sign-off
// records under signoffDir, "" = the default), else "" (outside git:
// approvals are not bound to a release).
func RunRelease(ctx context.Context, cl *checklist.Checklist, flag, signoffDir string) string {
	return RunReleaseAt(ctx, cl.Path, flag, signoffDir)
}

// RunReleaseAt is RunRelease of the checklist at path (Checklist.Path),
// for a caller that asks before the checklist is loaded.
func RunReleaseAt(ctx context.Context, path, flag, signoffDir string) string {
	if flag != "" {
		return flag
	}
	if signoffDir == "" {
		signoffDir = signoff.DefaultDir(path)
	}
	return signoff.Release(ctx, filepath.Dir(path), signoffDir)
}

// OpenSignoffs is the sign-off book of a `check` run, judged for its
// release and phase; problems (files that are not records, an unreadable
// allowed_signers) are logged on o.ErrOut.
func OpenSignoffs(ctx context.Context, cl *checklist.Checklist, o CheckSignoffs) (runner.Signoffs, error) {
	dir := o.Dir
	if dir == "" {
		dir = signoff.DefaultDir(cl.Path)
	}
	getenv := os.Getenv
	if o.LookupEnv != nil {
		getenv = func(k string) string {
			v, _ := o.LookupEnv(k)
			return v
		}
	}
	b, err := openBook(ctx, cl, signoff.Options{Dir: dir, Now: time.Now(), Release: o.Release, Phase: o.Phase}, getenv)
	if err != nil {
		return nil, err
	}
	logger := cmdutil.NewLogger(o.ErrOut, o.Verbose, cl.Secrets)
	for _, p := range b.Problems() {
		logger.Warn("sign-off problem", "problem", p)
	}
	return b, nil
}

// Reloader re-opens the book of a `check` run, for each --wait round
// (runner.Options.ReloadSignoffs): a person who signs during the wait
// turns the verdict green. Quietly: problems were logged once at the start.
func Reloader(cl *checklist.Checklist, o CheckSignoffs) func(context.Context) (runner.Signoffs, error) {
	o.ErrOut = io.Discard
	return func(ctx context.Context) (runner.Signoffs, error) { return OpenSignoffs(ctx, cl, o) }
}

// identity fills in who signs: flags, READYCTL_NAME/EMAIL or the config
// file (through cmdutil.Settings), else git's user.name and user.email.
func (o *SignerOptions) identity(ctx context.Context, cl *checklist.Checklist) {
	if o.Name != "" && o.Email != "" {
		return
	}
	name, email := signoff.GitUser(ctx, filepath.Dir(cl.Path))
	if o.Name == "" {
		o.Name = name
	}
	if o.Email == "" {
		o.Email = email
	}
}

// checkSigner refuses early what the policy would reject anyway.
func (o *SignerOptions) checkSigner(cl *checklist.Checklist) error {
	if cl.Signoff.AllowedSigners != "" {
		if o.Key == "" {
			return cmdutil.UsageErrorf("the checklist accepts only signed sign-offs (signoff.allowed_signers): pass --key with your key (a private key file, KEY.pub in ssh-agent, or agent)")
		}
		if o.Email == "" {
			return cmdutil.UsageErrorf("the checklist accepts only signed sign-offs: pass --email, the principal of your key in %s", cl.Signoff.AllowedSigners)
		}
	}
	if o.Name == "" {
		return cmdutil.UsageErrorf("who is signing? pass --name and --email, or set name: and email: in %s", cmdutil.ConfigPath())
	}
	return nil
}

// base fills the fields every record has.
func (o *SignerOptions) base(ctx context.Context, cl *checklist.Checklist, t signoff.Type) (*signoff.Record, error) {
	// Full precision: it orders records made in the same second (the first
	// approval a person gave keeps its role under distinct_signers).
	now := o.Now().UTC()
	r := &signoff.Record{
		Type: t, Name: o.Name, Email: o.Email, Created: now, Note: o.Note,
		Environment: o.Env, Release: o.Release,
		Checklist: cl.Name, ChecklistSHA256: cl.SHA256,
	}
	if r.Release == "" {
		r.Release = signoff.Release(ctx, filepath.Dir(cl.Path), o.dir(cl))
	}
	if o.Expires != "" {
		exp, err := signoff.ParseExpiry(o.Expires, now)
		if err != nil {
			return nil, cmdutil.UsageErrorf("%v", err)
		}
		if !exp.After(now) {
			return nil, cmdutil.UsageErrorf("--expires %s is not in the future", o.Expires)
		}
		r.Expires = &exp
	}
	return r, nil
}

// record signs r (when --key is given), judges it with every other
// record exactly as `check` will, and writes it only if it counts: nobody
// should believe they signed when the gate will ignore it, and a refused
// record never touches the directory.
func (o *SignerOptions) record(ctx context.Context, cl *checklist.Checklist, r *signoff.Record) (*signoff.Judged, error) {
	var signer ssh.Signer
	if o.Key != "" {
		s, done, err := signoff.LoadSigner(o.Key, signoff.KeyOptions{AgentSocket: o.getenv("SSH_AUTH_SOCK"), Passphrase: o.passphrase()})
		if err != nil {
			return nil, cmdutil.UsageErrorf("%v", err)
		}
		defer done()
		signer = s
	}
	e, err := signoff.Seal(r, signer)
	if err != nil {
		return nil, fmt.Errorf("recording the sign-off: %w", err)
	}
	// Judged for the run it is meant for: its own release and phase.
	book, err := openBook(ctx, cl, signoff.Options{Dir: o.dir(cl), Now: o.Now(), Release: r.Release, Phase: r.Phase}, o.getenv)
	if err != nil {
		return nil, err
	}
	j, err := book.Try(e)
	if err != nil {
		return nil, err
	}
	if j.State != signoff.Valid {
		return nil, fmt.Errorf("not recorded: this sign-off would be %s: %s", j.State, j.Reason)
	}
	if _, err := signoff.WriteEntry(o.dir(cl), e); err != nil {
		return nil, fmt.Errorf("recording the sign-off: %w", err)
	}
	return j, nil
}

// checkRole refuses a --role the policy does not declare.
func checkRole(cl *checklist.Checklist, role string) error {
	if err := cl.Signoff.CheckRole(role); err != nil {
		return cmdutil.UsageErrorf("--role: %v", err)
	}
	return nil
}

// passphrase asks for a key's passphrase on the terminal, if there is one.
func (o *SignerOptions) passphrase() func() ([]byte, error) {
	in, ok := o.IO.In.(*os.File)
	if !ok || !o.IO.IsStdinTTY() {
		return nil
	}
	return func() ([]byte, error) {
		fmt.Fprintf(o.IO.ErrOut, "Passphrase for %s: ", o.Key)
		p, err := term.ReadPassword(int(in.Fd()))
		fmt.Fprintln(o.IO.ErrOut)
		return p, err
	}
}

// describeRecorded is the line a recording command prints on stdout.
func describeRecorded(j *signoff.Judged) string {
	signed := "unsigned"
	if j.Signer != "" {
		signed = "signed with " + j.Signer
	}
	return fmt.Sprintf("%s (%s)", j.Path, signed)
}

// rememberIdentity keeps name and email in the config file for next time,
// leaving everything else in it (comments included) as it was.
func rememberIdentity(path, name, email string) error {
	var doc yaml.Node
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return err
	default:
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	if doc.Kind == 0 {
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode, Tag: "!!map"}}}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("%s: expected a mapping of settings", path)
	}
	set := func(key, value string) {
		for i := 0; i+1 < len(root.Content); i += 2 {
			if root.Content[i].Value == key {
				root.Content[i+1] = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value}
				return
			}
		}
		root.Content = append(root.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key},
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value})
	}
	set("name", name)
	if email != "" {
		set("email", email)
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return cmdutil.WriteFileAtomic(path, func(f *os.File) error {
		_, err := f.Write(out)
		return err
	})
}

// prompter asks questions on stderr and reads answers from stdin.
type prompter struct {
	in  *bufio.Reader
	out io.Writer
}

// ask prints question and returns the trimmed answer; io.EOF when the
// person closed the input (Ctrl-D).
func (p *prompter) ask(question string) (string, error) {
	fmt.Fprint(p.out, question)
	line, err := p.in.ReadString('\n')
	if err != nil && (line == "" || !errors.Is(err, io.EOF)) {
		return "", err
	}
	return strings.TrimSpace(line), nil
}
