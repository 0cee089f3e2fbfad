package cli

import (
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/cmdutil"
	"github.com/readyctl/readyctl/internal/report"
)

// Dynamic shell completion: item ids, tags, phases and environments come
// from the checklist the command line names (-f, else the default), and
// formats from the renderer registry. A completion runs on every Tab, so
// it must never hang nor print an error into the shell: the checklist is
// loaded without secrets (NoEnv), within completionBudget, and any problem
// means no suggestions.

// completionBudget bounds loading the checklist for one completion.
const completionBudget = 2 * time.Second

// registerCompletions adds completion functions to every command of the
// tree that has the flags they complete.
func registerCompletions(root *cobra.Command, f *cmdutil.Factory) {
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		registerCommandCompletions(c, f)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

func registerCommandCompletions(cmd *cobra.Command, f *cmdutil.Factory) {
	fs := cmd.Flags()
	static := func(name string, values func() []string) {
		if fs.Lookup(name) == nil {
			return
		}
		_ = cmd.RegisterFlagCompletionFunc(name, func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return values(), cobra.ShellCompDirectiveNoFileComp
		})
	}
	static("format", report.Formats)
	static("fail-on", func() []string { return []string{"critical", "warning"} })
	static("ci", func() []string { return ciModes })
	if fs.Lookup("output") != nil {
		_ = cmd.RegisterFlagCompletionFunc("output", func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if strings.Contains(toComplete, "=") {
				return nil, cobra.ShellCompDirectiveDefault
			}
			var out []string
			for _, name := range report.Formats() {
				out = append(out, name+"=")
			}
			return out, cobra.ShellCompDirectiveNoSpace | cobra.ShellCompDirectiveNoFileComp
		})
	}
	if fs.Lookup("file") == nil {
		return // the rest comes from the checklist -f names
	}
	_ = cmd.RegisterFlagCompletionFunc("file", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt
	})
	// list: the flag takes comma-separated values, so the shell adds no
	// space after one (tags are usually given as a list; ids one by one).
	fromChecklist := func(name string, list bool, values func(*checklist.Checklist) []string) {
		if fs.Lookup(name) == nil {
			return
		}
		_ = cmd.RegisterFlagCompletionFunc(name, func(c *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			cl := completionChecklist(c, f)
			if cl == nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			vals := completeList(values(cl), toComplete)
			if !list {
				return vals, cobra.ShellCompDirectiveNoFileComp
			}
			return vals, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
		})
	}
	fromChecklist("only", false, itemIDs)
	fromChecklist("skip", false, itemIDs)
	fromChecklist("tags", true, tags)
	fromChecklist("exclude-tags", true, tags)
	fromChecklist("phase", false, phases)
	fromChecklist("env", false, environments)
	// (completeList on a single value only filters by prefix: shells
	// filter too, but not all of them.)
}

// completeList completes the last value of a comma-separated list
// ("health,sec" -> "health,security"), leaving out values already given.
func completeList(vals []string, toComplete string) []string {
	done, last := "", toComplete
	if i := strings.LastIndex(toComplete, ","); i >= 0 {
		done, last = toComplete[:i+1], toComplete[i+1:]
	}
	given := strings.Split(done, ",")
	var out []string
	for _, v := range vals {
		id, _, _ := strings.Cut(v, "\t")
		if strings.HasPrefix(id, last) && !slices.Contains(given, id) {
			out = append(out, done+v)
		}
	}
	return out
}

// completionChecklist loads the checklist the command line names, or nil
// when it cannot within completionBudget. Settings from READYCTL_* and the
// config file apply (they may name the file or the environment); a bad
// one is no reason to refuse a completion.
func completionChecklist(cmd *cobra.Command, f *cmdutil.Factory) *checklist.Checklist {
	_ = f.Settings.Apply(cmd)
	fs := cmd.Flags()
	path, _ := fs.GetString("file")
	env, _ := fs.GetString("env")
	vars := map[string]string{}
	if args, err := fs.GetStringArray("var"); err == nil {
		for _, kv := range args {
			if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
				vars[k] = v
			}
		}
	}
	// Only a regular file: a FIFO or a device named by -f would block.
	if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
		return nil
	}
	done := make(chan *checklist.Checklist, 1)
	go func() {
		cl, err := checklist.Load(path, checklist.Options{Env: env, Vars: vars, NoEnv: true, LookupEnv: f.LookupEnv})
		if err != nil {
			// Still complete from the definitions of a checklist whose
			// values do not resolve here (a --var not given yet).
			cl, err = checklist.Load(path, checklist.Options{Definitions: true, NoEnv: true, LookupEnv: f.LookupEnv})
		}
		if err != nil {
			cl = nil
		}
		done <- cl
	}()
	select {
	case cl := <-done:
		return cl
	case <-time.After(completionBudget):
		return nil // the goroutine ends with the process
	}
}

// itemIDs are "id\ttitle": shells show the title beside the id.
func itemIDs(cl *checklist.Checklist) []string {
	var out []string
	for _, it := range cl.Items() {
		v := it.ID
		if t := strings.Join(strings.Fields(cl.Mask(it.Title)), " "); t != "" && t != it.ID {
			v += "\t" + t
		}
		out = append(out, v)
	}
	return out
}

func tags(cl *checklist.Checklist) []string {
	var out []string
	for _, it := range cl.Items() {
		out = append(out, it.Tags...)
	}
	return sortedUnique(out)
}

func phases(cl *checklist.Checklist) []string {
	var out []string
	for _, it := range cl.Items() {
		if it.Phase != "" {
			out = append(out, it.Phase)
		}
	}
	return sortedUnique(out)
}

// environments are the keys of the checklist's environments: block, as
// written.
func environments(cl *checklist.Checklist) []string {
	doc := cl.Doc
	if doc != nil && doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		doc = doc.Content[0]
	}
	if doc == nil || doc.Kind != yaml.MappingNode {
		return nil
	}
	var out []string
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if doc.Content[i].Value != "environments" || doc.Content[i+1].Kind != yaml.MappingNode {
			continue
		}
		envs := doc.Content[i+1]
		for j := 0; j+1 < len(envs.Content); j += 2 {
			out = append(out, envs.Content[j].Value)
		}
	}
	return sortedUnique(out)
}

func sortedUnique(in []string) []string {
	slices.Sort(in)
	return slices.Compact(in)
}
