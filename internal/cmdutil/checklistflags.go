package cmdutil

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// AddChecklistFlags adds the flags every command that loads a checklist has.
func AddChecklistFlags(fs *pflag.FlagSet) {
	fs.StringP("file", "f", "checklist.yaml", "checklist file")
	fs.String("env", "", "environment whose vars override the defaults (see environments: in the checklist)")
	fs.StringArray("var", nil, "set a variable, KEY=VALUE (repeatable; overrides the checklist and --env)")
}

// ChecklistSettings reads -f, --env and --var.
func ChecklistSettings(f *Factory, cmd *cobra.Command) (file, env string, vars map[string]string, err error) {
	v := f.Config
	vars = map[string]string{}
	for _, kv := range StringsSetting(f, cmd, "var") {
		k, val, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return "", "", nil, UsageErrorf("--var %q: expected KEY=VALUE", kv)
		}
		vars[k] = val
	}
	return v.GetString("file"), v.GetString("env"), vars, nil
}

// StringsSetting reads a repeatable flag. Values given on the command line
// are taken as they are (viper would split them on commas, breaking
// --var k=a,b); otherwise READYCTL_<NAME> or the config file.
func StringsSetting(f *Factory, cmd *cobra.Command, name string) []string {
	fl := cmd.Flags().Lookup(name)
	if fl != nil && fl.Changed {
		if sv, ok := fl.Value.(pflag.SliceValue); ok {
			return sv.GetSlice()
		}
	}
	return f.Config.GetStringSlice(name)
}

// List flattens values that may arrive comma-separated (from environment
// variables or the config file) into one list.
func List(in []string) []string {
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

// Dash stands in for an empty cell of a table.
func Dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
