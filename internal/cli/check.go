package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/metricsexport"
	"github.com/readyctl/readyctl/internal/report"
	"github.com/readyctl/readyctl/internal/runner"
)

// CheckOptions are the settings of one `readyctl check`.
type CheckOptions struct {
	IO          *IOStreams
	LookupEnv   func(string) (string, bool)
	File        string
	Env         string
	Vars        map[string]string
	Only        []string
	Tags        []string
	Phase       string
	Format      string
	Outputs     []output
	Concurrency int
	Timeout     time.Duration
	FailOn      string
	SignoffDir  string
	Wait        time.Duration
	NoColor     bool
	Verbose     bool
	Pushgateway string
	// AllowIntrusive runs load, rate-limit bursts and injection canaries
	// whatever the checklist's intrusive_environments says.
	AllowIntrusive bool

	signoffs runner.Signoffs // set by checkRun; nil = no sign-offs (demo)
}

type output struct{ format, path string }

// NewCmdCheck builds `readyctl check`. runF replaces the run in tests of
// flag parsing.
func NewCmdCheck(f *Factory, runF func(context.Context, *CheckOptions) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Run the checklist and print a readiness report",
		Long: `Run every selected item of the checklist, print a report on stdout and exit
0 when ready, 1 when not ready. Logs and live progress go to stderr.`,
		Example: `  # before a deploy, on a laptop
  readyctl check -f checklist.yaml --env staging

  # in CI: JUnit on stdout for the test tab, JSON kept as an artifact
  readyctl check --env production --format junit -o json=report.json

  # right after a deploy: wait up to 5 minutes for the system to converge
  readyctl check --phase post-deploy --wait 5m

  # only what is tagged, with a variable overridden
  readyctl check --tags health,security --var api=https://api.example.com`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			bindFlags(f, cmd)
			opts, err := checkOptions(f, cmd)
			if err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return checkRun(cmd.Context(), opts)
		},
	}
	addChecklistFlags(cmd.Flags())
	addRunFlags(cmd.Flags())
	return cmd
}

func checkOptions(f *Factory, cmd *cobra.Command) (*CheckOptions, error) {
	v := f.Config
	o := &CheckOptions{
		IO: f.IO, LookupEnv: f.LookupEnv,
		Only:           list(stringsSetting(f, cmd, "only")),
		Tags:           list(stringsSetting(f, cmd, "tags")),
		Phase:          v.GetString("phase"),
		Format:         v.GetString("format"),
		Concurrency:    v.GetInt("concurrency"),
		Timeout:        v.GetDuration("timeout"),
		FailOn:         v.GetString("fail-on"),
		SignoffDir:     v.GetString("signoffs"),
		Wait:           v.GetDuration("wait"),
		NoColor:        v.GetBool("no-color"),
		Verbose:        v.GetBool("verbose"),
		Pushgateway:    v.GetString("pushgateway"),
		AllowIntrusive: v.GetBool("allow-intrusive"),
	}
	var err error
	if o.File, o.Env, o.Vars, err = checklistSettings(f, cmd); err != nil {
		return nil, err
	}
	if _, ok := report.Lookup(o.Format); !ok {
		return nil, usageErrorf("--format %q: expected one of %s", o.Format, strings.Join(report.Formats(), ", "))
	}
	for _, spec := range stringsSetting(f, cmd, "output") {
		format, path, ok := strings.Cut(spec, "=")
		if !ok || path == "" {
			return nil, usageErrorf("-o %q: expected FORMAT=PATH, e.g. json=report.json", spec)
		}
		if _, known := report.Lookup(format); !known {
			return nil, usageErrorf("-o %q: unknown format %q; expected one of %s", spec, format, strings.Join(report.Formats(), ", "))
		}
		o.Outputs = append(o.Outputs, output{format, path})
	}
	switch o.FailOn {
	case "critical", "warning":
	default:
		return nil, usageErrorf("--fail-on %q: expected critical or warning", o.FailOn)
	}
	if o.Concurrency < 1 {
		return nil, usageErrorf("--concurrency %d: must be at least 1", o.Concurrency)
	}
	if o.Timeout < 0 || o.Wait < 0 {
		return nil, usageErrorf("--timeout and --wait must not be negative")
	}
	return o, nil
}

func checkRun(ctx context.Context, o *CheckOptions) error {
	cl, err := checklist.Load(o.File, checklist.Options{Env: o.Env, Vars: o.Vars, LookupEnv: o.LookupEnv})
	if err != nil {
		return err
	}
	if o.signoffs, err = openSignoffs(ctx, o, cl); err != nil {
		return err
	}
	return runChecklist(ctx, o, cl)
}

// runChecklist runs a loaded checklist and delivers its report.
func runChecklist(ctx context.Context, o *CheckOptions, cl *checklist.Checklist) error {
	logger := newLogger(o.IO.ErrOut, o.Verbose, cl.Secrets)
	var observer runner.Observer
	if o.IO.ProgressOnStderr() {
		p := newProgress(o.IO.ErrOut, o.IO.Width)
		defer p.Stop()
		observer = p
	}
	rep := runner.Run(ctx, cl, runner.Options{
		Concurrency: o.Concurrency, Timeout: o.Timeout,
		Only: o.Only, Tags: o.Tags, Phase: o.Phase, Wait: o.Wait, FailOn: o.FailOn,
		Observer: observer, Logger: logger, Signoffs: o.signoffs,
		AllowIntrusive: o.AllowIntrusive || cl.IntrusiveAllowed(),
	})
	if stopper, ok := observer.(interface{ Stop() }); ok {
		stopper.Stop() // clear the progress line before the report
	}
	if err := deliver(o, rep); err != nil {
		return err
	}
	if o.Pushgateway != "" {
		// A dashboard that misses one run must not change the verdict. An
		// interrupted run still pushes what it measured (Push bounds itself).
		if err := metricsexport.Push(context.WithoutCancel(ctx), o.Pushgateway, report.MetricsRun(rep)); err != nil {
			logger.Error("pushing metrics failed; the verdict stands", "err", err)
		}
	}
	switch {
	case rep.Interrupted:
		return ErrInterrupted
	case rep.Verdict != report.Ready:
		return ErrNotReady
	}
	return nil
}

// deliver writes the report to stdout and to every -o file.
func deliver(o *CheckOptions, rep *report.Report) error {
	render, _ := report.Lookup(o.Format)
	ropts := report.Options{Color: o.IO.ColorStdout(o.NoColor), Verbose: o.Verbose}
	var errs []error
	if err := render(o.IO.Out, rep, ropts); err != nil {
		errs = append(errs, fmt.Errorf("writing %s report: %w", o.Format, err))
	}
	for _, out := range o.Outputs {
		r, _ := report.Lookup(out.format)
		if err := writeFileAtomic(out.path, func(f *os.File) error {
			return r(f, rep, report.Options{})
		}); err != nil {
			errs = append(errs, fmt.Errorf("writing %s report to %s: %w", out.format, out.path, err))
		}
	}
	return errors.Join(errs...)
}

// writeFileAtomic writes through a temporary file in the same directory and
// renames it, so a reader never sees half a report.
func writeFileAtomic(path string, write func(*os.File) error) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// list flattens values that may arrive comma-separated (from environment
// variables or the config file) into one list.
func list(in []string) []string {
	var out []string
	for _, s := range in {
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// addRunFlags adds the flags of a run (check and demo).
func addRunFlags(fs *pflag.FlagSet) {
	fs.StringSlice("only", nil, "run only these item ids (repeatable; their dependencies run too)")
	fs.StringSlice("tags", nil, "run only items with any of these tags (comma-separated)")
	fs.String("phase", "", "run only items of this phase, e.g. pre-deploy or post-deploy")
	fs.String("format", "text", "report format on stdout: "+strings.Join(report.Formats(), ", "))
	fs.StringArrayP("output", "o", nil, "also write FORMAT=PATH (repeatable), e.g. -o json=report.json")
	fs.Int("concurrency", runner.DefaultConcurrency, "items checked at once")
	fs.Duration("timeout", 0, "bound the whole run (0 = no bound beyond each item's timeout)")
	fs.String("fail-on", "critical", "lowest severity that blocks: critical or warning")
	fs.String("signoffs", "", "sign-off directory (default .readyctl/signoffs beside the checklist)")
	fs.Duration("wait", 0, "re-check what is not passing, with backoff, until ready or this long has passed")
	fs.Bool("no-color", false, "no colours, even on a terminal")
	fs.BoolP("verbose", "v", false, "log each attempt on stderr and show every observation")
	fs.String("pushgateway", "", "push the run's metrics to this Prometheus Pushgateway URL (job readyctl)")
	fs.Bool("allow-intrusive", false, "run load, rate-limit bursts and injection canaries even if the environment is not in intrusive_environments")
}
