package cli

import (
	"fmt"
	"io"
	"reflect"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/cmdutil"
)

// NewCmdProbes builds `readyctl probes [KIND]`.
func NewCmdProbes(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "probes [KIND]",
		Short: "List probe kinds, or show one kind's fields, defaults and an example",
		Example: `  readyctl probes
  readyctl probes http`,
		Args: cobra.MaximumNArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return checks.Names(), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return listKinds(f.IO.Out)
			}
			kind, ok := checks.Lookup(args[0])
			if !ok {
				msg := fmt.Sprintf("unknown probe kind %q", args[0])
				if s := checklist.Suggest(args[0], checks.Names()); s != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", s)
				}
				return cmdutil.UsageErrorf("%s; kinds: %s", msg, strings.Join(checks.Names(), ", "))
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
	fmt.Fprintf(tw, "manual\t%s\n", "an item only a person can confirm; it passes with a valid sign-off")
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, "\nreadyctl probes KIND shows a kind's fields, defaults and an example.")
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
	fmt.Fprintf(w, "\nEvery item also has: %s.\n", strings.Join(checklist.ItemFields, ", "))
	fmt.Fprintf(w, "\nExample:\n\n%s", indent(k.Example, "  "))
	return nil
}

var (
	durationType    = reflect.TypeOf(time.Duration(0))
	unmarshalerType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()
)

func describeFields(w io.Writer, v reflect.Value, prefix string) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		tag := strings.Split(sf.Tag.Get("yaml"), ",")
		name := tag[0]
		fv := v.Field(i)
		if name == "-" {
			continue
		}
		if len(tag) > 1 && tag[1] == "inline" {
			describeFields(w, reflect.Indirect(fv), prefix)
			continue
		}
		ft := sf.Type
		elem := ft
		if elem.Kind() == reflect.Pointer {
			elem = elem.Elem()
		}
		if elem.Kind() == reflect.Struct && !reflect.PointerTo(elem).Implements(unmarshalerType) && elem != reflect.TypeOf(time.Time{}) {
			fmt.Fprintf(w, "%s%s\tblock\t\t%s\n", prefix, name, sf.Tag.Get("doc"))
			nested := reflect.New(elem).Elem()
			if fv.Kind() == reflect.Pointer && !fv.IsNil() {
				nested = fv.Elem()
			} else if fv.Kind() == reflect.Struct {
				nested = fv
			}
			describeFields(w, nested, prefix+name+".")
			continue
		}
		fmt.Fprintf(w, "%s%s\t%s\t%s\t%s\n", prefix, name, typeName(ft), defaultOf(fv), sf.Tag.Get("doc"))
	}
}

func typeName(t reflect.Type) string {
	if t == durationType {
		return "duration"
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return strings.ToLower(t.Name())
	}
	switch t.Kind() {
	case reflect.Pointer:
		return typeName(t.Elem())
	case reflect.Slice:
		return "list of " + typeName(t.Elem())
	case reflect.Map:
		return "map of " + typeName(t.Elem())
	case reflect.Interface:
		return "any"
	case reflect.Struct:
		return "block"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "int"
	case reflect.Float64, reflect.Float32:
		return "number"
	}
	return t.Kind().String()
}

func defaultOf(v reflect.Value) string {
	if !v.IsValid() || v.IsZero() {
		return ""
	}
	if v.Type() == durationType {
		return time.Duration(v.Int()).String()
	}
	switch v.Kind() {
	case reflect.String:
		return fmt.Sprintf("%q", v.String())
	case reflect.Pointer:
		return defaultOf(v.Elem())
	case reflect.Slice:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = fmt.Sprint(v.Index(i).Interface())
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(v.Interface())
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
