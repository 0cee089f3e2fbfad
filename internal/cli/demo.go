package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/readyctl/readyctl"
	"github.com/readyctl/readyctl/internal/cmdutil"
	"github.com/readyctl/readyctl/internal/demo"
	"github.com/readyctl/readyctl/internal/demo/platform"
)

// NewCmdDemo builds `readyctl demo`: the repository's checklist.yaml
// against a reference platform it starts on loopback.
func NewCmdDemo(f *cmdutil.Factory) *cobra.Command {
	opts := &CheckOptions{IO: f.IO, LookupEnv: f.LookupEnv}
	var (
		printChecklist, listFaults bool
		fault                      string
		varArgs                    []string
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Check the shipped checklist against a reference platform started on loopback",
		Long: `Start, on 127.0.0.1 only, a platform shaped like the seed's: auth, core, MCP,
analytics and gateway stand-ins, a Grafana stand-in, a TLS front on a CA made
for the run, and real PostgreSQL (primary and replica), Redis, Prometheus and
Pushgateway from their binaries. Then run the shipped checklist.yaml (the same
file, embedded) against it, with its variables pointed at the platform, exactly
as 'readyctl check' would. Every automated item passes; the manual items are
signed by demo identities generated for this run (in real use, people sign),
so the verdict is READY and the exit code 0.

--fault NAME starts the same platform with one thing wrong, to see what the
checklist reports then (NOT READY, exit 1); --list-faults names the faults.
Servers whose binary is missing are not started: their items are skipped,
the demo says what to install, and the verdict is NOT READY (an unchecked
item never counts as passed).`,
		Example: `  readyctl demo
  readyctl demo --fault cert-expiring
  readyctl demo --list-faults
  readyctl demo --format json -o junit=demo.xml
  readyctl demo --print-checklist > checklist.yaml`,
		Args:    cobra.NoArgs,
		PreRunE: f.ApplySettings,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if printChecklist {
				_, err := f.IO.Out.Write(readyctl.Checklist)
				return err
			}
			if listFaults {
				tw := tabwriter.NewWriter(f.IO.Out, 0, 4, 2, ' ', 0)
				for _, ft := range platform.Faults {
					fmt.Fprintf(tw, "%s\t%s\n", ft.Name, ft.Doc)
				}
				return tw.Flush()
			}
			if fault != "" {
				if _, err := platform.LookupFault(fault); err != nil {
					return cmdutil.UsageErrorf("--fault: %v", err)
				}
			}
			if err := opts.complete(f, cmd); err != nil {
				return err
			}
			for _, kv := range varArgs {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return cmdutil.UsageErrorf("--var %q: expected KEY=VALUE", kv)
				}
				opts.Vars[k] = v
			}
			return demoRun(cmd.Context(), opts, fault)
		},
	}
	opts.addRunFlags(cmd.Flags())
	cmd.Flags().StringArrayVar(&varArgs, "var", nil, "override a checklist variable, KEY=VALUE (repeatable)")
	cmd.Flags().StringVar(&fault, "fault", "", "start the platform with this fault (see --list-faults)")
	cmd.Flags().BoolVar(&listFaults, "list-faults", false, "list the faults and exit")
	cmd.Flags().BoolVar(&printChecklist, "print-checklist", false, "print the embedded checklist.yaml and exit")
	cmdutil.CommandLineOnly(cmd.Flags(), "print-checklist", "list-faults", "fault", "var")
	return cmd
}

func demoRun(ctx context.Context, o *CheckOptions, fault string) error {
	logf := func(format string, args ...any) { fmt.Fprintf(o.IO.ErrOut, format+"\n", args...) }
	t0 := time.Now()
	plat, err := platform.Start(ctx, platform.Options{Fault: fault, Logf: func(format string, args ...any) {
		if o.Verbose {
			logf(format, args...)
		}
	}})
	if err != nil {
		return fmt.Errorf("starting the demo platform: %w", err)
	}
	defer plat.Close()
	for _, m := range plat.Missing {
		logf("demo: %s not started (%s): its items are skipped, so the run cannot be READY. Install it: %s", m.Service, m.Message, m.Install)
	}
	what := "a healthy platform"
	if fault != "" {
		what = "the platform with fault " + fault
	}
	logf("demo: %s is up on 127.0.0.1 (%s); checking checklist.yaml against it", what, time.Since(t0).Round(100*time.Millisecond))

	prep, err := demo.Prepare(readyctl.Checklist, plat, o.Vars, o.LookupEnv)
	if err != nil {
		return err
	}
	defer prep.Close()
	cl := prep.Checklist
	if err := checkSelection(cl, o.runnerOptions()); err != nil {
		return err
	}
	o.signoffs = prep.Signoffs
	if o.Pushgateway == "" {
		o.Pushgateway = plat.PushgatewayURL
	}
	logf("demo: manual items and approvals are signed by demo identities generated for this run; in real use, people sign (readyctl signoff, readyctl approve)")
	return runChecklist(ctx, o, cl)
}
