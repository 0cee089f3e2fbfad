package cmdutil

import (
	"strings"

	"github.com/spf13/pflag"
)

// ChecklistOptions are the settings of every command that loads a
// checklist: -f, --env and --var.
type ChecklistOptions struct {
	File string
	Env  string
	Vars map[string]string // from --var KEY=VALUE; filled by Complete

	varArgs []string
}

// AddFlags binds -f, --env and --var.
func (o *ChecklistOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVarP(&o.File, "file", "f", "checklist.yaml", "checklist file")
	fs.StringVar(&o.Env, "env", "", "environment whose vars override the defaults (see environments: in the checklist)")
	fs.StringArrayVar(&o.varArgs, "var", nil, "set a variable, KEY=VALUE (repeatable; overrides the checklist and --env)")
}

// Complete parses --var. Values are taken as they are: --var k=a,b is one
// value with a comma.
func (o *ChecklistOptions) Complete() error {
	o.Vars = map[string]string{}
	for _, kv := range o.varArgs {
		k, val, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return UsageErrorf("--var %q: expected KEY=VALUE", kv)
		}
		o.Vars[k] = val
	}
	return nil
}

// List flattens values that may arrive comma-separated into one list,
// without blanks.
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
