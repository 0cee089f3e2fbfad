package cli

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/cli/signoffcmd"
	"github.com/readyctl/readyctl/internal/cmdutil"
	"github.com/readyctl/readyctl/internal/deploy"
	"github.com/readyctl/readyctl/internal/history"
	"github.com/readyctl/readyctl/internal/redact"
	"github.com/readyctl/readyctl/internal/report"
	"github.com/readyctl/readyctl/internal/runner"
)

// DeployOptions are the settings of one `readyctl deploy`: a check's, plus
// the deployment's own.
type DeployOptions struct {
	CheckOptions
	SkipPre    bool
	Force      bool
	WatchTags  []string
	WatchPhase string
	PrePhase   string
	PostPhase  string
	Interval   time.Duration
	Rollback   string
	Converge   time.Duration
	Command    []string
	// Measure runs the post-deploy phase once before COMMAND, as the
	// baseline of the post-deploy run.
	Measure bool
	// UserImpact is the item whose value is the user impact.
	UserImpact string
}

// NewCmdDeploy builds `readyctl deploy`.
func NewCmdDeploy(f *cmdutil.Factory, runF func(context.Context, *DeployOptions) error) *cobra.Command {
	opts := &DeployOptions{CheckOptions: CheckOptions{IO: f.IO, LookupEnv: f.LookupEnv}}
	cmd := &cobra.Command{
		Use:   "deploy [flags] -- COMMAND [ARGS...]",
		Short: "Run a deployment, watched: pre-deploy, COMMAND, post-deploy, rollback",
		Long: `Run a deployment and measure it:

 1. the pre-deploy phase (unless --skip-pre); if it is not ready, COMMAND
    is not run and readyctl exits 1 (unless --force);
 2. COMMAND, your own deploy script, run as given (no shell) with its
    output on readyctl's stderr; meanwhile the watched items (--watch-tags,
    else the items of phase --watch-phase, "during") are probed every
    --interval, once each, without retries: a failure opens an outage of the
    item, the next pass closes it. Downtime is the union of the outages of
    watched critical items, exact to within one interval. Load, intrusive
    and exclusive items are never watched;
 3. when COMMAND exits 0, the post-deploy phase, re-checked until it is ready
    or --converge has passed; the pre-deploy run is its baseline (items are
    matched by id), so baseline.NAME works in expect: and the report shows how
    every number moved;
 4. when COMMAND fails or post-deploy is not ready and --rollback is given,
    the rollback (one string run with /bin/sh -c), timed, then the
    post-deploy phase again: the report shows the system as the rollback
    left it, and why it rolled back.

The report (stdout, -o) is the last phase run, with a deployment record:
duration, downtime, outages, convergence, rollback, issues left by
severity, performance change. Exit 0: deployed and ready. Exit 1: not
deployed, failed, rolled back, or not ready. Ctrl-C passes SIGINT to
COMMAND's process group, reports what was measured and exits 130.`,
		Example: `  readyctl deploy --env production -- ./deploy.sh v2.3.0
  readyctl deploy --watch-tags health --interval 500ms \
      --rollback 'helm rollback api' -o json=deploy.json -- helm upgrade api ./chart
  readyctl deploy --skip-pre --converge 10m --history .readyctl/history -- kubectl apply -f k8s/`,
		PreRunE: f.ApplySettings,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dash := cmd.ArgsLenAtDash(); dash != 0 || len(args) == 0 {
				return cmdutil.UsageErrorf("the deploy command goes after --, e.g. readyctl deploy -- ./deploy.sh")
			}
			opts.Command = args
			if cmd.Flags().Changed("phase") || cmd.Flags().Changed("wait") {
				return cmdutil.UsageErrorf("deploy runs its phases itself: use --pre-phase, --post-phase and --converge instead of --phase and --wait")
			}
			opts.Wait = opts.Converge
			if err := opts.complete(f, cmd); err != nil {
				return err
			}
			opts.WatchTags = cmdutil.List(opts.WatchTags)
			if opts.Interval < 10*time.Millisecond {
				return cmdutil.UsageErrorf("--interval %s: must be at least 10ms", opts.Interval)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return deployRun(cmd.Context(), opts)
		},
	}
	fs := cmd.Flags()
	opts.ChecklistOptions.AddFlags(fs)
	opts.addRunFlags(fs)
	fs.StringVar(&opts.Release, "release", "", "the release being deployed (default: the git commit checked out beside the checklist)")
	fs.BoolVar(&opts.SkipPre, "skip-pre", false, "do not run the pre-deploy phase first")
	fs.BoolVar(&opts.Force, "force", false, "run COMMAND even if the pre-deploy phase is not ready")
	fs.StringSliceVar(&opts.WatchTags, "watch-tags", nil, "watch items with any of these tags while COMMAND runs (default: the items of --watch-phase)")
	fs.StringVar(&opts.WatchPhase, "watch-phase", "during", "phase of the items watched while COMMAND runs, without --watch-tags")
	fs.StringVar(&opts.PrePhase, "pre-phase", "pre-deploy", "phase checked before COMMAND")
	fs.StringVar(&opts.PostPhase, "post-phase", "post-deploy", "phase checked after COMMAND")
	fs.DurationVar(&opts.Interval, "interval", time.Second, "how often watched items are probed while COMMAND runs (the resolution of downtime)")
	fs.StringVar(&opts.Rollback, "rollback", "", "shell command (run with /bin/sh -c) that rolls back, run when COMMAND fails or post-deploy is not ready")
	fs.DurationVar(&opts.Converge, "converge", 5*time.Minute, "how long the post-deploy phase may take to become ready after COMMAND")
	fs.BoolVar(&opts.Measure, "measure-baseline", true, "check the post-deploy phase once before COMMAND (not gating) so its items have a baseline to compare with")
	fs.StringVar(&opts.Baseline, "baseline", "", "compare with this earlier JSON report instead of measuring before COMMAND")
	fs.StringVar(&opts.UserImpact, "user-impact", "", "post-deploy item whose value observation (e.g. a prometheus query of failed requests) is recorded as the user impact")
	addHistoryFlag(fs, &opts.History)
	// deploy runs its phases itself; --phase and --wait are refused.
	_ = fs.MarkHidden("phase")
	_ = fs.MarkHidden("wait")
	cmdutil.CommandLineOnly(fs, "force", "rollback")
	return cmd
}

func deployRun(ctx context.Context, o *DeployOptions) error {
	cl, err := checklist.Load(o.File, checklist.Options{Env: o.Env, Vars: o.Vars, LookupEnv: o.LookupEnv})
	if err != nil {
		return err
	}
	if err := checkVars(cl, o.Vars); err != nil {
		return err
	}
	phases := map[string]bool{}
	for _, it := range cl.Items() {
		phases[it.Phase] = true
	}
	if !o.SkipPre && !phases[o.PrePhase] {
		return cmdutil.UsageErrorf("the checklist has no item of phase %q to check before deploying: give --pre-phase, or --skip-pre", o.PrePhase)
	}
	pre, post := o.runnerOptions(), o.runnerOptions()
	pre.Phase, pre.Wait, pre.StableFor = o.PrePhase, 0, 0
	post.Phase = o.PostPhase
	for _, ro := range []runner.Options{pre, post} {
		if o.SkipPre && ro.Phase == o.PrePhase {
			continue
		}
		if err := checkSelection(cl, ro); err != nil {
			return err
		}
	}
	if o.UserImpact != "" && !slices.ContainsFunc(cl.Items(), func(it *checklist.Item) bool { return it.ID == o.UserImpact }) {
		var ids []string
		for _, it := range cl.Items() {
			ids = append(ids, it.ID)
		}
		return unknown("item", "items", o.UserImpact, ids)
	}
	targets, err := o.watchTargets(cl)
	if err != nil {
		return err
	}
	logger := cmdutil.NewLogger(o.IO.ErrOut, o.Verbose, cl.Secrets)
	if len(targets) == 0 {
		logger.Warn("nothing is watched while the command runs: downtime is not measured (tag items and give --watch-tags, or give items phase " + o.WatchPhase + ")")
	}
	o.Release = signoffcmd.RunRelease(ctx, cl, o.Release, o.SignoffDir)
	phase := func(ro runner.Options) (func(context.Context) runner.Options, error) {
		cs := o.checkSignoffs()
		cs.Phase = ro.Phase
		s, err := signoffcmd.OpenSignoffs(ctx, cl, cs)
		if err != nil {
			return nil, err
		}
		ro.Signoffs, ro.Logger = s, logger
		ro.AllowIntrusive = o.AllowIntrusive || cl.IntrusiveAllowed()
		if s != nil {
			ro.ReloadSignoffs = signoffcmd.Reloader(cl, cs)
		}
		return func(context.Context) runner.Options { return ro }, nil
	}
	preOpts, err := phase(pre)
	if err != nil {
		return err
	}
	postOpts, err := phase(post)
	if err != nil {
		return err
	}
	var fileBaseline *report.Report
	if o.Baseline != "" {
		if fileBaseline, err = history.Read(o.Baseline); err != nil {
			return cmdutil.UsageErrorf("--baseline: %v", err)
		}
	}
	source := "before the deploy"
	if o.Baseline != "" {
		source = o.Baseline
	}
	redactor := redact.New(cl.Secrets)
	dopts := deploy.Options{
		Post: func(ctx context.Context, baseline *report.Report, converge bool) *report.Report {
			ro := postOpts(ctx)
			if !converge {
				ro.Wait, ro.StableFor, ro.ReloadSignoffs = 0, 0, nil
			}
			ro.Baseline = baselineOf(baseline)
			rep := runner.Run(ctx, cl, ro)
			rep.ApplyBaseline(baseline, source)
			return rep
		},
		Baseline:   fileBaseline,
		Force:      o.Force,
		UserImpact: o.UserImpact,
		Command:    o.Command,
		Display:    redactor.String(shellJoin(o.Command)),
		Watch:      targets,
		Interval:   o.Interval,
		Output:     o.IO.ErrOut,
		Logger:     logger,
	}
	if !o.SkipPre {
		dopts.Pre = func(ctx context.Context) *report.Report { return runner.Run(ctx, cl, preOpts(ctx)) }
	}
	if o.Measure && fileBaseline == nil {
		dopts.Measure = func(ctx context.Context) *report.Report {
			ro := postOpts(ctx)
			ro.Wait, ro.StableFor, ro.ReloadSignoffs = 0, 0, nil
			return runner.Run(ctx, cl, ro)
		}
	}
	if o.Rollback != "" {
		dopts.Rollback = []string{"/bin/sh", "-c", o.Rollback}
	}
	rep := deploy.Run(ctx, dopts)
	return finishRun(ctx, &o.CheckOptions, rep, logger)
}

// watchTargets are the items probed while COMMAND runs: cheap, repeatable
// probes only. Load tests, intrusive and exclusive items would change the
// very thing being measured; manual items are not probes.
func (o *DeployOptions) watchTargets(cl *checklist.Checklist) ([]deploy.Target, error) {
	var tags []string
	for _, it := range cl.Items() {
		tags = append(tags, it.Tags...)
	}
	for _, t := range o.WatchTags {
		if !slices.Contains(tags, t) {
			return nil, unknown("tag", "tags", t, tags)
		}
	}
	var out []deploy.Target
	for _, it := range cl.Items() {
		picked := it.Phase == o.WatchPhase
		if len(o.WatchTags) > 0 {
			picked = slices.ContainsFunc(it.Tags, func(t string) bool { return slices.Contains(o.WatchTags, t) })
		}
		if !picked || it.Manual != nil || it.Exclusive || slices.Contains(o.Skip, it.ID) {
			continue
		}
		if in, ok := it.Probe.(checks.Intrusive); ok && in.Intrusive() {
			continue
		}
		if _, ok := it.Probe.(checks.Unavailable); ok {
			continue
		}
		out = append(out, deploy.Target{ID: it.ID, Critical: it.Severity == "critical", Probe: func(ctx context.Context) bool {
			return runner.Once(ctx, cl, it, runner.Options{}).Status == report.Pass
		}})
	}
	return out, nil
}

// shellJoin shows argv as one would type it.
func shellJoin(argv []string) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`;&|<>()*?[]{}~#!") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts[i] = a
	}
	return strings.Join(parts, " ")
}
