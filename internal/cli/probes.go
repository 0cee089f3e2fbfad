package cli

import (
	"fmt"
	"io"
	"reflect"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/cmdutil"
)

// NewCmdProbes builds `readyctl probes [KIND]`.
func NewCmdProbes(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "probes [KIND]",
		Short: "List probe kinds, or show one kind's fields, defaults, observations and an example",
		Example: `  readyctl probes
  readyctl probes http
  readyctl probes manual`,
		Args: cobra.MaximumNArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return append(checks.Names(), "manual"), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return listKinds(f.IO.Out)
			}
			if args[0] == "manual" {
				return describeManual(f.IO.Out)
			}
			kind, ok := checks.Lookup(args[0])
			if !ok {
				names := append(checks.Names(), "manual")
				msg := fmt.Sprintf("unknown probe kind %q", args[0])
				if s := checklist.Suggest(args[0], names); s != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", s)
				}
				return cmdutil.UsageErrorf("%s; kinds: %s", msg, strings.Join(names, ", "))
			}
			return describeKind(f.IO.Out, kind)
		},
	}
}

func listKinds(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, n := range checks.Names() {
		k, _ := checks.Lookup(n)
		fmt.Fprintf(tw, "%s\t%s\n", n, k.Summary)
	}
	fmt.Fprintf(tw, "manual\t%s\n", manualSummary)
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, "\nreadyctl probes KIND shows a kind's fields, defaults and an example.")
	return err
}

// manualSummary is manual's line in the list of kinds.
const manualSummary = "an item only a person can confirm; it passes with a valid sign-off"

// manualExample is a manual item as the seed writes them.
const manualExample = `- id: notify-stakeholders
  title: Notify all stakeholders of the deployment window
  manual:
    roles: [project-manager]
    instructions: Send the deployment notice to #releases and the customer list.
`

// describeManual is `readyctl probes manual`: manual is no probe (nothing
// runs), but it is an item kind a checklist writer needs the fields of.
func describeManual(w io.Writer) error {
	fmt.Fprintf(w, "manual: %s\n\nFields of the manual: block:\n\n", manualSummary)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  FIELD\tTYPE\tDEFAULT\tDESCRIPTION")
	describeFields(tw, reflect.ValueOf(&checklist.Manual{}).Elem(), "  ")
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nNothing is measured: a manual item has no observations and no expect:. It is\n"+
		"pending until a person holding one of its roles signs it off (readyctl signoff\n"+
		"ITEM --role ROLE); a stale, expired or rejected sign-off leaves it pending.\n")
	fmt.Fprintf(w, "\nEvery item also has: %s.\n", strings.Join(checklist.ItemFields, ", "))
	_, err := fmt.Fprintf(w, "\nExample:\n\n%s", indent(manualExample, "  "))
	return err
}

func describeKind(w io.Writer, k checks.Kind) error {
	fmt.Fprintf(w, "%s: %s\n\nFields of the %s: block (defaults shown):\n\n", k.Name, k.Summary, k.Name)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  FIELD\tTYPE\tDEFAULT\tDESCRIPTION")
	describeFields(tw, reflect.ValueOf(k.New()).Elem(), "  ")
	fmt.Fprintf(tw, "  expect\tlist of expressions\t\tall must hold; expr-lang over the observations, e.g. latency < duration(\"1s\")\n")
	if err := tw.Flush(); err != nil {
		return err
	}
	if err := describeObservations(w, k); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nEvery item also has: %s.\n", strings.Join(checklist.ItemFields, ", "))
	fmt.Fprintf(w, "\nExample:\n\n%s", indent(k.Example, "  "))
	return nil
}

// describeObservations lists what `expect:` can use, with the type the
// loader checks expressions against; key ones are marked with *.
func describeObservations(w io.Writer, k checks.Kind) error {
	if len(k.Observations) == 0 {
		return nil
	}
	fmt.Fprintf(w, "\nObservations (what expect: can use; * = shown beside a failure):\n\n")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  NAME\tTYPE\tDESCRIPTION")
	for _, o := range k.Observations {
		name := o.Name
		if o.Key {
			name += " *"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", name, o.Type, o.Doc)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, "\nA value the probe did not measure is nil. Compare durations with duration(\"500ms\"), not 500 or \"500ms\".")
	return err
}

func describeFields(w io.Writer, v reflect.Value, prefix string) {
	for _, f := range checklist.Fields(v.Addr().Interface()) {
		if f.Block {
			fmt.Fprintf(w, "%s%s\tblock\t\t%s\n", prefix, f.Path, f.Doc)
			continue
		}
		fmt.Fprintf(w, "%s%s\t%s\t%s\t%s\n", prefix, f.Path, f.Type, f.Default, f.Doc)
	}
}

func indent(s, pad string) string {
	lines := strings.SplitAfter(s, "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) != "" {
			lines[i] = pad + l
		}
	}
	return strings.Join(lines, "")
}
