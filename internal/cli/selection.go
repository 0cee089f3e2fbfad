package cli

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/cmdutil"
	"github.com/readyctl/readyctl/internal/runner"
)

// checkSelection refuses a selection the checklist cannot satisfy: a
// phase, tag or item id it does not have (a typo would select nothing and
// pass), or a selection that matches no item. Both are usage errors
// (exit 2): a gate must never turn green because it checked nothing. A
// checklist with no item at all is an invalid checklist (exit 3).
func checkSelection(cl *checklist.Checklist, o runner.Options) error {
	if err := checkNotEmpty(cl); err != nil {
		return err
	}
	items := cl.Items()
	var phases, tags, ids []string
	for _, it := range items {
		ids = append(ids, it.ID)
		if it.Phase != "" && !slices.Contains(phases, it.Phase) {
			phases = append(phases, it.Phase)
		}
		for _, t := range it.Tags {
			if !slices.Contains(tags, t) {
				tags = append(tags, t)
			}
		}
	}
	if o.Phase != "" && !slices.Contains(phases, o.Phase) {
		return unknown("phase", "phases", o.Phase, phases)
	}
	for _, t := range slices.Concat(o.Tags, o.ExcludeTags) {
		if !slices.Contains(tags, t) {
			return unknown("tag", "tags", t, tags)
		}
	}
	for _, id := range slices.Concat(o.Only, o.Skip) {
		if !slices.Contains(ids, id) {
			return unknown("item", "items", id, ids)
		}
	}
	for _, it := range items {
		if o.Matches(it) {
			return nil
		}
	}
	return cmdutil.UsageErrorf("the selection (%s) matches no item of %s: nothing would be checked", describeSelection(o), cl.Path)
}

// checkNotEmpty refuses a checklist without items (exit 3): checking
// nothing must never read as READY.
func checkNotEmpty(cl *checklist.Checklist) error {
	if len(cl.Items()) > 0 {
		return nil
	}
	line, col := 1, 1
	if cl.Doc != nil && len(cl.Doc.Content) > 0 {
		root := cl.Doc.Content[0]
		for i := 0; i+1 < len(root.Content); i += 2 {
			if root.Content[i].Value == "sections" {
				line, col = root.Content[i+1].Line, root.Content[i+1].Column
			}
		}
	}
	return checklist.Errors{{File: cl.Path, Line: line, Col: col, Msg: "the checklist has no items: there is nothing to check"}}
}

// unknown is the message for a value the checklist does not have: the
// nearest known value, then every known one.
func unknown(what, plural, got string, known []string) error {
	msg := fmt.Sprintf("unknown %s %q", what, got)
	if len(known) == 0 {
		return cmdutil.UsageErrorf("%s: no item of the checklist has a %s", msg, what)
	}
	return cmdutil.UsageErrorf("%s%s %s: %s", msg, didYouMean(got, known), plural, listSome(known, 20))
}

// didYouMean is "; did you mean "X"?" for the nearest known value, or ";".
func didYouMean(got string, known []string) string {
	if s := checklist.Suggest(got, known); s != "" {
		return fmt.Sprintf("; did you mean %q?", s)
	}
	return ";"
}

func listSome(vals []string, max int) string {
	if len(vals) <= max {
		return strings.Join(vals, ", ")
	}
	return fmt.Sprintf("%s, ... (%d more; readyctl list shows all)", strings.Join(vals[:max], ", "), len(vals)-max)
}

func describeSelection(o runner.Options) string {
	var parts []string
	if o.Phase != "" {
		parts = append(parts, "--phase "+o.Phase)
	}
	for _, f := range []struct {
		name string
		vals []string
	}{{"--only", o.Only}, {"--tags", o.Tags}, {"--skip", o.Skip}, {"--exclude-tags", o.ExcludeTags}} {
		if len(f.vals) > 0 {
			parts = append(parts, f.name+" "+strings.Join(f.vals, ","))
		}
	}
	return strings.Join(parts, " ")
}

// checkVars refuses --var KEY=VALUE when KEY is not a variable of the
// checklist (declared under vars:, under any environment, or referenced
// as ${KEY}): a typo there would silently check the default target.
func checkVars(cl *checklist.Checklist, vars map[string]string) error {
	if len(vars) == 0 {
		return nil
	}
	known := map[string]bool{}
	for _, doc := range cl.Docs() { // the root and every included file
		maps.Copy(known, checklistVars(doc))
	}
	var names []string
	for k := range known {
		names = append(names, k)
	}
	slices.Sort(names)
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if known[k] {
			continue
		}
		msg := fmt.Sprintf("--var %s: %s has no variable %q", k, cl.Path, k)
		if len(names) == 0 {
			return cmdutil.UsageErrorf("%s (it declares no vars:)", msg)
		}
		return cmdutil.UsageErrorf("%s%s variables: %s", msg, didYouMean(k, names), listSome(names, 20))
	}
	return nil
}

// checklistVars collects the variable names of the document as written:
// keys of vars: and of every environment, and every ${name} referenced.
func checklistVars(doc *yaml.Node) map[string]bool {
	known := map[string]bool{}
	if doc == nil {
		return known
	}
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	mapKeys := func(n *yaml.Node) {
		if n != nil && n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				known[n.Content[i].Value] = true
			}
		}
	}
	if root.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(root.Content); i += 2 {
			switch root.Content[i].Value {
			case "vars":
				mapKeys(root.Content[i+1])
			case "environments":
				if envs := root.Content[i+1]; envs.Kind == yaml.MappingNode {
					for j := 1; j < len(envs.Content); j += 2 {
						mapKeys(envs.Content[j])
					}
				}
			}
		}
	}
	// Bounded like the loader: each node once (an alias is not followed).
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.ScalarNode {
			for _, ref := range checks.References(n.Value) {
				if strings.HasPrefix(ref, "env:") {
					continue
				}
				known[ref] = true
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(root)
	return known
}
