package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/cli/signoffcmd"
	"github.com/readyctl/readyctl/internal/cmdutil"
	"github.com/readyctl/readyctl/internal/history"
	"github.com/readyctl/readyctl/internal/metricsexport"
	"github.com/readyctl/readyctl/internal/report"
	"github.com/readyctl/readyctl/internal/runner"
)

// CheckOptions are the settings of one `readyctl check`. Every field is
// bound to a flag (see NewCmdCheck); READYCTL_* and the config file reach
// them through the same flags (cmdutil.Settings).
type CheckOptions struct {
	IO        *cmdutil.IOStreams
	LookupEnv func(string) (string, bool)
	cmdutil.ChecklistOptions

	Only        []string
	Tags        []string
	Skip        []string
	ExcludeTags []string
	Phase       string
	Format      string
	Outputs     []Output
	Concurrency int
	Timeout     time.Duration
	FailOn      string
	SignoffDir  string
	Wait        time.Duration
	StableFor   time.Duration
	Release     string
	NoColor     bool
	Verbose     bool
	Pushgateway string
	// Quiet prints only the problems and the verdict (text format).
	Quiet bool
	// CI is auto, github or none: whether to write GitHub Actions
	// annotations and step summary (auto: when GITHUB_ACTIONS=true).
	CI string
	// AllowIntrusive runs load, rate-limit bursts and injection canaries
	// whatever the checklist's intrusive_environments says.
	AllowIntrusive bool
	// History is the directory each run's JSON report is kept in ("" = none).
	History string
	// Baseline is an earlier JSON report to compare with (--baseline).
	Baseline string

	outputSpecs []string
	signoffs    runner.Signoffs // set by checkRun; nil = no sign-offs (demo)
	baseline    *report.Report  // read from Baseline by checkRun
}

// Output is one -o FORMAT=PATH.
type Output struct{ Format, Path string }

// NewCmdCheck builds `readyctl check`. runF replaces the run in tests of
// flag parsing.
func NewCmdCheck(f *cmdutil.Factory, runF func(context.Context, *CheckOptions) error) *cobra.Command {
	opts := &CheckOptions{IO: f.IO, LookupEnv: f.LookupEnv}
	cmd := &cobra.Command{
		Use:   "check [FILE]",
		Short: "Run the checklist and print a readiness report",
		Long: `Run every selected item of the checklist, print a report on stdout and exit
0 when ready, 1 when not ready. Logs and live progress go to stderr.

A selection that names something the checklist does not have (--phase,
--tags, --only, --skip, --exclude-tags, --var) or that selects no item is a
usage error (exit 2), never a green run. A report that cannot be written
(stdout or an -o file) exits 4. FILE is the same as -f FILE.

In GitHub Actions (GITHUB_ACTIONS=true, or --ci github) it also prints one
annotation per problem on stderr, pointing at the item's line in the
checklist, and appends a compact summary (verdict, what blocks, sign-offs)
to $GITHUB_STEP_SUMMARY. --ci none turns that off.`,
		Example: `  # before a deploy, on a laptop
  readyctl check -f checklist.yaml --env staging

  # in CI: JUnit on stdout for the test tab, JSON kept as an artifact
  readyctl check --env production --format junit -o json=report.json

  # right after a deploy: wait up to 5 minutes for the system to converge
  readyctl check --phase post-deploy --wait 5m --stable-for 30s

  # only what is tagged, with a variable overridden
  readyctl check --tags health,security --var api=https://api.example.com

  # everything but the load tests
  readyctl check --exclude-tags load

  # a large run: only the problems and the verdict
  readyctl check -q

  # in GitHub Actions, annotations and a step summary come by themselves
  readyctl check --env production -o junit=report.xml`,
		Args:    cobra.MaximumNArgs(1),
		PreRunE: f.ApplySettings,
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return []string{"yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				// `readyctl check FILE` means -f FILE; both, naming two
				// files, is a mistake to say rather than guess.
				if cmd.Flags().Changed("file") && opts.File != args[0] {
					return cmdutil.UsageErrorf("two checklists given: -f %s and %s; give one", opts.File, args[0])
				}
				opts.File = args[0]
			}
			if err := opts.complete(f, cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return checkRun(cmd.Context(), opts)
		},
	}
	opts.ChecklistOptions.AddFlags(cmd.Flags())
	opts.addRunFlags(cmd.Flags())
	cmd.Flags().StringVar(&opts.Release, "release", "", "the release this run checks (default: the git commit checked out beside the checklist); approvals count only for their release")
	addHistoryFlag(cmd.Flags(), &opts.History)
	cmd.Flags().StringVar(&opts.Baseline, "baseline", "", "an earlier JSON report: expect: can use baseline.NAME, and the report shows how each number moved (items matched by id)")
	return cmd
}

// complete parses and checks what flags cannot: lists, -o specs, ranges.
// Messages name where a bad value came from (a flag, READYCTL_*, the
// config file).
func (o *CheckOptions) complete(f *cmdutil.Factory, cmd *cobra.Command) error {
	src := func(name string) string { return f.Settings.Source(cmd, name) }
	if err := o.ChecklistOptions.Complete(); err != nil {
		return err
	}
	o.Only, o.Tags = cmdutil.List(o.Only), cmdutil.List(o.Tags)
	o.Skip, o.ExcludeTags = cmdutil.List(o.Skip), cmdutil.List(o.ExcludeTags)
	o.Phase = strings.TrimSpace(o.Phase)
	if _, ok := report.Lookup(o.Format); !ok {
		return cmdutil.UsageErrorf("%s %q: expected one of %s", src("format"), o.Format, strings.Join(report.Formats(), ", "))
	}
	o.Outputs = nil
	for _, spec := range o.outputSpecs {
		format, path, ok := strings.Cut(spec, "=")
		if !ok || path == "" {
			return cmdutil.UsageErrorf("-o %q: expected FORMAT=PATH, e.g. json=report.json", spec)
		}
		if _, known := report.Lookup(format); !known {
			return cmdutil.UsageErrorf("-o %q: unknown format %q; expected one of %s", spec, format, strings.Join(report.Formats(), ", "))
		}
		o.Outputs = append(o.Outputs, Output{format, path})
	}
	switch o.FailOn {
	case "critical", "warning":
	default:
		return cmdutil.UsageErrorf("%s %q: expected critical or warning", src("fail-on"), o.FailOn)
	}
	if !slices.Contains(ciModes, o.CI) {
		return cmdutil.UsageErrorf("%s %q: expected one of %s", src("ci"), o.CI, strings.Join(ciModes, ", "))
	}
	if o.Concurrency < 1 {
		return cmdutil.UsageErrorf("%s %d: must be at least 1", src("concurrency"), o.Concurrency)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"timeout", o.Timeout}, {"wait", o.Wait}, {"stable-for", o.StableFor}} {
		if d.v < 0 {
			return cmdutil.UsageErrorf("%s %s: must not be negative", src(d.name), d.v)
		}
	}
	if o.StableFor > 0 && o.Wait <= o.StableFor {
		return cmdutil.UsageErrorf("--stable-for %s needs a longer --wait (got %s): stability is measured while waiting", o.StableFor, o.Wait)
	}
	return nil
}

func checkRun(ctx context.Context, o *CheckOptions) (err error) {
	// The release is git's to say, a process or two away: asked while the
	// checklist loads (issue 16), and never left running on the way out.
	release := askRelease(ctx, o.File, o.Release, o.SignoffDir)
	defer func() {
		if err != nil {
			release.cancel()
		}
	}()
	cl, err := checklist.Load(o.File, checklist.Options{Env: o.Env, Vars: o.Vars, LookupEnv: o.LookupEnv})
	if err != nil {
		return err
	}
	// The checklist is needed to know its phases, tags, ids and vars; a
	// selection it cannot satisfy is still a usage error, found before
	// anything runs.
	if err := checkVars(cl, o.Vars); err != nil {
		return err
	}
	if err := checkSelection(cl, o.runnerOptions()); err != nil {
		return err
	}
	if o.Baseline != "" {
		if o.baseline, err = history.Read(o.Baseline); err != nil {
			return cmdutil.UsageErrorf("--baseline: %v", err)
		}
	}
	o.Release = release.wait()
	if o.signoffs, err = signoffcmd.OpenSignoffs(ctx, cl, o.checkSignoffs()); err != nil {
		return err
	}
	return runChecklist(ctx, o, cl)
}

// pendingRelease is signoffcmd.RunReleaseAt running beside the load.
type pendingRelease struct {
	done    chan string
	stop    context.CancelFunc
	release string
	waited  bool
}

// askRelease starts signoffcmd.RunReleaseAt for the checklist at path.
func askRelease(ctx context.Context, path, flag, signoffDir string) *pendingRelease {
	rctx, stop := context.WithCancel(ctx)
	p := &pendingRelease{done: make(chan string, 1), stop: stop}
	go func() { p.done <- signoffcmd.RunReleaseAt(rctx, path, flag, signoffDir) }()
	return p
}

// wait returns the release.
func (p *pendingRelease) wait() string {
	if !p.waited {
		p.release, p.waited = <-p.done, true
		p.stop()
	}
	return p.release
}

// cancel stops git if it still runs, and waits for it.
func (p *pendingRelease) cancel() {
	p.stop()
	p.wait()
}

// runChecklist runs a loaded checklist and delivers its report.
func runChecklist(ctx context.Context, o *CheckOptions, cl *checklist.Checklist) error {
	ropts := o.runnerOptions()
	logger := cmdutil.NewLogger(o.IO.ErrOut, o.Verbose, cl.Secrets)
	var observer runner.Observer
	if o.IO.ProgressOnStderr() {
		p := newProgress(o.IO.ErrOut, o.IO.Width)
		defer p.Stop()
		observer = p
	}
	ropts.Observer, ropts.Logger = observer, logger
	ropts.ReloadSignoffs = reloadSignoffs(o, cl)
	ropts.AllowIntrusive = o.AllowIntrusive || cl.IntrusiveAllowed()
	ropts.Baseline = baselineOf(o.baseline)
	rep := runner.Run(ctx, cl, ropts)
	rep.ApplyBaseline(o.baseline, o.Baseline)
	if stopper, ok := observer.(interface{ Stop() }); ok {
		stopper.Stop() // clear the progress line before the report
	}
	return finishRun(ctx, o, rep, logger)
}

// finishRun delivers a finished report (stdout, -o files, CI output),
// keeps it in the history, pushes its metrics and turns it into the run's
// error, which exit.go maps to the exit code: check and deploy end alike.
func finishRun(ctx context.Context, o *CheckOptions, rep *report.Report, logger *slog.Logger) error {
	err := deliver(o, rep)
	writeCI(o, rep, logger)
	if err != nil {
		if rep.Interrupted {
			// Ctrl-C stays 130; the write failure is still said.
			fmt.Fprintf(o.IO.ErrOut, "readyctl: %v\n", err)
			return cmdutil.ErrInterrupted
		}
		return err
	}
	saveHistory(o, rep, logger)
	if o.Pushgateway != "" {
		// A dashboard that misses one run must not change the verdict. An
		// interrupted run still pushes what it measured (Push bounds itself).
		if err := metricsexport.Push(context.WithoutCancel(ctx), o.Pushgateway, report.MetricsRun(rep)); err != nil {
			logger.Error("pushing metrics failed; the verdict stands", "err", err)
		}
	}
	switch {
	case rep.Interrupted:
		return cmdutil.ErrInterrupted
	case rep.Verdict != report.Ready:
		return cmdutil.ErrNotReady
	}
	return nil
}

// reloadSignoffs re-reads the sign-off directory for each --wait round, so
// that a person who signs during the wait turns the verdict green. Problems
// with records were logged once at the start; a reload stays quiet.
func reloadSignoffs(o *CheckOptions, cl *checklist.Checklist) func(context.Context) (runner.Signoffs, error) {
	if o.signoffs == nil || o.Wait <= 0 {
		return nil
	}
	return signoffcmd.Reloader(cl, o.checkSignoffs())
}

// checkSignoffs says which sign-offs count for this run.
func (o *CheckOptions) checkSignoffs() signoffcmd.CheckSignoffs {
	return signoffcmd.CheckSignoffs{
		Dir: o.SignoffDir, Release: o.Release, Phase: o.Phase, LookupEnv: o.LookupEnv, ErrOut: o.IO.ErrOut, Verbose: o.Verbose,
	}
}

// runnerOptions are the run's settings as the runner takes them.
func (o *CheckOptions) runnerOptions() runner.Options {
	return runner.Options{
		Concurrency: o.Concurrency, Timeout: o.Timeout,
		Only: o.Only, Tags: o.Tags, Skip: o.Skip, ExcludeTags: o.ExcludeTags, Phase: o.Phase,
		Wait: o.Wait, StableFor: o.StableFor, FailOn: o.FailOn, Signoffs: o.signoffs, Release: o.Release,
	}
}

// deliver writes the report to stdout and to every -o file. A failure is
// an *OutputError (exit 4): the verdict exists but did not reach its
// reader, which is neither READY nor NOT READY.
func deliver(o *CheckOptions, rep *report.Report) error {
	render, _ := report.Lookup(o.Format)
	ropts := report.Options{Color: o.IO.ColorStdout(o.NoColor), Verbose: o.Verbose, Quiet: o.Quiet}
	var errs []error
	if err := cmdutil.Buffered(o.IO.Out, func(w io.Writer) error { return render(w, rep, ropts) }); err != nil {
		errs = append(errs, fmt.Errorf("could not write the %s report to stdout: %w", o.Format, err))
	}
	for _, out := range o.Outputs {
		r, _ := report.Lookup(out.Format)
		if err := cmdutil.WriteFileAtomic(out.Path, func(f *os.File) error {
			return cmdutil.Buffered(f, func(w io.Writer) error { return r(w, rep, report.Options{}) })
		}); err != nil {
			errs = append(errs, fmt.Errorf("could not write the %s report to %s: %w", out.Format, out.Path, err))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return &OutputError{Err: errors.Join(errs...)}
}

// addRunFlags binds the flags of a run (check and demo).
func (o *CheckOptions) addRunFlags(fs *pflag.FlagSet) {
	fs.StringSliceVar(&o.Only, "only", nil, "run only these item ids (repeatable; their dependencies run too)")
	fs.StringSliceVar(&o.Tags, "tags", nil, "run only items with any of these tags (comma-separated)")
	fs.StringSliceVar(&o.Skip, "skip", nil, "leave out this item id (repeatable)")
	fs.StringSliceVar(&o.ExcludeTags, "exclude-tags", nil, "leave out items with any of these tags (comma-separated)")
	fs.StringVar(&o.Phase, "phase", "", "run only items of this phase, e.g. pre-deploy or post-deploy")
	fs.StringVar(&o.Format, "format", "text", "report format on stdout: "+strings.Join(report.Formats(), ", "))
	fs.StringArrayVarP(&o.outputSpecs, "output", "o", nil, "also write FORMAT=PATH (repeatable), e.g. -o json=report.json")
	fs.IntVar(&o.Concurrency, "concurrency", runner.DefaultConcurrency, "items checked at once")
	fs.DurationVar(&o.Timeout, "timeout", 0, "bound the whole run (0 = no bound beyond each item's timeout)")
	fs.StringVar(&o.FailOn, "fail-on", "critical", "lowest severity that blocks: critical or warning")
	fs.StringVar(&o.SignoffDir, "signoffs", "", "sign-off directory (default .readyctl/signoffs beside the checklist)")
	fs.DurationVar(&o.Wait, "wait", 0, "re-check what is not passing, with backoff, until ready or this long has passed")
	fs.DurationVar(&o.StableFor, "stable-for", 0, "with --wait: count the verdict only after every blocking probe has passed continuously this long")
	fs.BoolVar(&o.NoColor, "no-color", false, "no colours, even on a terminal")
	fs.BoolVarP(&o.Verbose, "verbose", "v", false, "log each attempt on stderr and show every observation")
	fs.BoolVarP(&o.Quiet, "quiet", "q", false, "text report: only the problems and the verdict")
	fs.StringVar(&o.CI, "ci", "auto", "CI output: github (annotations on stderr, step summary to $GITHUB_STEP_SUMMARY), none, or auto (github when GITHUB_ACTIONS=true)")
	fs.StringVar(&o.Pushgateway, "pushgateway", "", "push the run's metrics to this Prometheus Pushgateway URL (job readyctl)")
	fs.BoolVar(&o.AllowIntrusive, "allow-intrusive", false, "run load, rate-limit bursts and injection canaries even if the environment is not in intrusive_environments")
}
