package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/cli/signoffcmd"
	"github.com/readyctl/readyctl/internal/cmdutil"
	"github.com/readyctl/readyctl/internal/report"
	"github.com/readyctl/readyctl/internal/runner"
	"github.com/readyctl/readyctl/internal/serve"
)

// TokenEnv holds the bearer token serve requires, when set. It is read
// from the environment only: a token on the command line would show in ps.
const TokenEnv = "READYCTL_SERVE_TOKEN"

// serveRunFlags are the flags of check that mean the same in serve: what
// to select and how to run it. Output, --wait and --allow-intrusive have
// no meaning for a server (it serves its report; it never runs intrusive
// probes).
var serveRunFlags = []string{"only", "tags", "skip", "exclude-tags", "phase", "concurrency", "timeout", "fail-on", "signoffs", "verbose"}

// ServeOptions are the settings of `readyctl serve`.
type ServeOptions struct {
	CheckOptions
	Listen   string
	Interval time.Duration
	TLSCert  string
	TLSKey   string
	// Token is READYCTL_SERVE_TOKEN; "" = no authentication.
	Token string
	// Reload, when set, replaces SIGHUP as the reload trigger (tests).
	Reload <-chan struct{}
	// Ready, when set, is told the address once the server listens (tests).
	Ready func(addr string)
}

// NewCmdServe builds `readyctl serve`.
func NewCmdServe(f *cmdutil.Factory, runF func(context.Context, *ServeOptions) error) *cobra.Command {
	opts := &ServeOptions{CheckOptions: CheckOptions{IO: f.IO, LookupEnv: f.LookupEnv}}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the checklist every interval and serve the verdict over HTTP",
		Long: `Run the selected items every --interval (one round at a time: a round that
runs long delays the next) and serve the last verdict:

  /ready    200 when the last round was ready, 503 otherwise (and before the
            first round finishes); JSON: verdict, time, blocking items
  /report   the last report, as --format json prints it (HTML for a browser
            when readyctl has an html format)
  /metrics  Prometheus metrics: those of -o prometheus for the last round
            (readyctl_run_ready 0 until one finishes), plus readyctl_rounds_total, readyctl_round_duration_seconds,
            readyctl_item_check_duration_seconds and
            readyctl_checklist_reload_success
  /healthz  200 while the server runs (never needs the token)

Intrusive probes (load, rate-limit bursts, injection) never run in serve:
they are skipped with reason intrusive_not_allowed. Sign-offs are read
again every round.

With READYCTL_SERVE_TOKEN set, every endpoint but /healthz requires
"Authorization: Bearer <token>" (401 otherwise). --tls-cert and --tls-key
serve HTTPS. A report names internal hosts, addresses and versions: keep
serve on loopback or an internal network, never facing the internet.

SIGHUP reads the checklist again: a valid file is used from the next round;
an invalid one is logged (FILE:LINE:COL), the previous checklist keeps
running and readyctl_checklist_reload_success drops to 0. SIGTERM or SIGINT
cancels the round in progress, stops the server and exits 0.`,
		Example: `  readyctl serve -f checklist.yaml --phase post-deploy
  readyctl serve --env production --interval 1m --listen 0.0.0.0:9469
  READYCTL_SERVE_TOKEN=$(cat token) readyctl serve --tls-cert tls.crt --tls-key tls.key`,
		Args:    cobra.NoArgs,
		PreRunE: f.ApplySettings,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.complete(f, cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return serveRun(cmd.Context(), opts)
		},
	}
	opts.ChecklistOptions.AddFlags(cmd.Flags())
	// The run flags are check's own definitions, bound to the same
	// options; only those that mean something here are offered.
	run := pflag.NewFlagSet("run", pflag.ContinueOnError)
	opts.addRunFlags(run)
	for _, name := range serveRunFlags {
		cmd.Flags().AddFlag(run.Lookup(name))
	}
	cmd.Flags().StringVar(&opts.Release, "release", "", "the release this server checks (default: the git commit checked out beside the checklist, read each round); approvals count only for their release")
	cmd.Flags().StringVar(&opts.Listen, "listen", serve.DefaultListen, "address to serve on, host:port (loopback by default: a report names internal hosts)")
	cmd.Flags().DurationVar(&opts.Interval, "interval", serve.DefaultInterval, "time from the start of one round to the start of the next")
	cmd.Flags().StringVar(&opts.TLSCert, "tls-cert", "", "serve HTTPS with this PEM certificate (chain) file; needs --tls-key")
	cmd.Flags().StringVar(&opts.TLSKey, "tls-key", "", "the PEM private key of --tls-cert")
	return cmd
}

func (o *ServeOptions) complete(f *cmdutil.Factory, cmd *cobra.Command) error {
	if err := o.CheckOptions.complete(f, cmd); err != nil {
		return err
	}
	src := func(name string) string { return f.Settings.Source(cmd, name) }
	if o.Interval <= 0 {
		return cmdutil.UsageErrorf("%s %s: must be positive", src("interval"), o.Interval)
	}
	if _, _, err := net.SplitHostPort(o.Listen); err != nil {
		return cmdutil.UsageErrorf("%s %q: expected host:port, e.g. 127.0.0.1:9469", src("listen"), o.Listen)
	}
	if (o.TLSCert == "") != (o.TLSKey == "") {
		return cmdutil.UsageErrorf("--tls-cert and --tls-key go together")
	}
	o.Token = ""
	if o.LookupEnv != nil {
		if v, ok := o.LookupEnv(TokenEnv); ok {
			if v == "" {
				return cmdutil.UsageErrorf("%s is set but empty: unset it to serve without a token, or give it a value", TokenEnv)
			}
			o.Token = v
		}
	}
	return nil
}

func serveRun(ctx context.Context, o *ServeOptions) error {
	load := func(ctx context.Context) (*checklist.Checklist, error) {
		cl, err := checklist.Load(o.File, checklist.Options{Env: o.Env, Vars: o.Vars, LookupEnv: o.LookupEnv})
		if err != nil {
			return nil, err
		}
		if err := checkVars(cl, o.Vars); err != nil {
			return nil, err
		}
		if err := checkSelection(cl, o.runnerOptions()); err != nil {
			return nil, err
		}
		return cl, nil
	}
	cl, err := load(ctx)
	if err != nil {
		return err
	}
	logger := cmdutil.NewLogger(o.IO.ErrOut, o.Verbose, cl.Secrets)
	// The sign-off records are read once before serving, so that a
	// directory that cannot be read stops the start rather than every
	// round; their problems are logged this once.
	first := o.checkSignoffs()
	first.Release = signoffcmd.RunRelease(ctx, cl, o.Release, o.SignoffDir)
	if _, err := signoffcmd.OpenSignoffs(ctx, cl, first); err != nil {
		return err
	}
	if host, _, _ := net.SplitHostPort(o.Listen); o.Token == "" && !isLoopback(host) {
		logger.Warn("serving on a non-loopback address without "+TokenEnv+": anyone who reaches it reads the report, which names internal hosts", "listen", o.Listen)
	}

	reload := o.Reload
	if reload == nil {
		ch, stop := hangups()
		defer stop()
		reload = ch
	}
	srv, err := serve.New(serve.Options{
		Listen: o.Listen, Interval: o.Interval, Checklist: cl, Load: load, Reload: reload,
		Check: o.serveCheck, Token: o.Token, CertFile: o.TLSCert, KeyFile: o.TLSKey,
		Logger: logger, Ready: o.Ready,
	})
	if err != nil {
		return err
	}
	// A stop (SIGTERM, SIGINT) is how a server ends: exit 0, not 130.
	return srv.Run(ctx)
}

// serveCheck runs one round: sign-offs read again, intrusive probes off.
func (o *ServeOptions) serveCheck(ctx context.Context, cl *checklist.Checklist) (*report.Report, error) {
	ropts := o.runnerOptions()
	cs := o.checkSignoffs()
	cs.ErrOut = io.Discard // logged once at the start
	cs.Release = signoffcmd.RunRelease(ctx, cl, o.Release, o.SignoffDir)
	book, err := signoffcmd.OpenSignoffs(ctx, cl, cs)
	if err != nil {
		// Without the book, required approvals would count as met.
		return nil, fmt.Errorf("reading sign-offs: %w", err)
	}
	ropts.Signoffs, ropts.Release = book, cs.Release
	ropts.Logger = cmdutil.NewLogger(o.IO.ErrOut, o.Verbose, cl.Secrets)
	ropts.AllowIntrusive = false
	rep := runner.Run(ctx, cl, ropts)
	for i := range rep.Items {
		if rep.Items[i].Reason == checks.ReasonIntrusiveNotAllowed {
			// The runner's hint (opt the environment in) does not apply:
			// serve never runs them, whatever the checklist allows.
			rep.Items[i].Message = "sends load or attack-like traffic: readyctl serve never runs it (readyctl check does, where the environment opted in)"
		}
	}
	return rep, nil
}

// hangups turns SIGHUP into reload requests; a burst of signals while a
// reload is pending is one reload.
func hangups() (<-chan struct{}, func()) {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGHUP)
	out := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-sig:
				select {
				case out <- struct{}{}:
				default:
				}
			case <-done:
				return
			}
		}
	}()
	return out, func() {
		signal.Stop(sig)
		close(done)
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
