package checklist

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/readyctl/readyctl/checks"
)

// resolver expands ${name}, ${env:NAME} and ${env:NAME:-default}.
// Precedence for ${name}: --var > selected environment > vars.
type resolver struct {
	vars    []map[string]string // highest precedence first
	lookup  func(string) (string, bool)
	noEnv   bool // Options.NoEnv: an unset ${env:X} is a placeholder
	secrets map[string]bool
	needed  map[string]bool // unset env vars given a placeholder (NoEnv)

	// Each variable is expanded once; budget is what expansion may still
	// produce in this load, so a small file cannot expand to gigabytes.
	memo      map[string]resolved
	active    map[string]bool // variables being expanded: a loop
	budget    int
	overspent bool // "expansion too large" was reported once already

	// placeholder is set while expanding a scalar that used one.
	placeholder bool
	// tainted are the scalars whose value is not the real one (a failed
	// expansion, or a NoEnv placeholder): problems found later in them
	// are not reported, the expansion said it all.
	tainted map[*yaml.Node]bool
	// reportsFailures: a failed expansion is an error of this load (not
	// with Options.Definitions, which ignores them), so it taints.
	reportsFailures bool
	// runTime are the names the kind of the block being expanded
	// resolves itself at run time (checks.Kind.RunTimeNames): ${name}
	// and $${ stay as written for the probe.
	runTime map[string]bool
}

type resolved struct {
	val         string
	err         error
	placeholder bool
}

// errTooLarge is the expansion budget running out.
var errTooLarge = fmt.Errorf("expansion too large: ${...} references expand past %d MiB in this checklist", MaxExpansion>>20)

// maxVarDepth bounds the chain of variables referring to variables (the
// loop check catches cycles; this catches absurd chains).
const maxVarDepth = 64

// newResolver builds the resolver of one load. vars are highest
// precedence first.
func newResolver(opts Options, tainted map[*yaml.Node]bool, vars ...map[string]string) *resolver {
	r := &resolver{
		vars: vars, lookup: opts.LookupEnv, noEnv: opts.NoEnv,
		secrets: map[string]bool{}, needed: map[string]bool{},
		memo: map[string]resolved{}, active: map[string]bool{},
		budget: maxExpansion, tainted: tainted, reportsFailures: !opts.Definitions,
	}
	if r.lookup == nil {
		r.lookup = os.LookupEnv
	}
	return r
}

// expand replaces every reference in s. "$${" is a literal "${". It returns
// the first unresolved reference's message and its byte offset in s.
func (r *resolver) expand(s string, depth int) (string, int, error) {
	if !strings.Contains(s, "${") {
		return s, 0, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], "$${") {
			if r.runTime != nil && depth == 0 {
				// The probe expands this value again at run time:
				// it undoes the escape then.
				b.WriteString("$${")
			} else {
				b.WriteString("${")
			}
			i += 3
			continue
		}
		if !strings.HasPrefix(s[i:], "${") {
			b.WriteByte(s[i])
			i++
			continue
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return "", i, fmt.Errorf("unterminated reference %q: add a closing }", s[i:])
		}
		ref := s[i+2 : i+end]
		if depth == 0 && r.runTime[ref] {
			b.WriteString(s[i : i+end+1])
			i += end + 1
			continue
		}
		val, err := r.resolve(ref, depth)
		if err == nil && len(val) > r.budget {
			err = errTooLarge
		}
		if err != nil {
			return "", i, err
		}
		r.budget -= len(val)
		b.WriteString(val)
		i += end + 1
	}
	return b.String(), 0, nil
}

func (r *resolver) resolve(ref string, depth int) (string, error) {
	if name, ok := strings.CutPrefix(ref, "env:"); ok {
		return r.resolveEnv(ref, name)
	}
	if m, ok := r.memo[ref]; ok {
		r.placeholder = r.placeholder || m.placeholder
		return m.val, m.err
	}
	if r.active[ref] {
		return "", fmt.Errorf("variable ${%s} refers to itself (loop)", ref)
	}
	if depth > maxVarDepth {
		return "", fmt.Errorf("variable ${%s}: variables refer to variables more than %d deep", ref, maxVarDepth)
	}
	for _, m := range r.vars {
		v, ok := m[ref]
		if !ok {
			continue
		}
		outer := r.placeholder
		r.placeholder = false
		r.active[ref] = true
		out, _, err := r.expand(v, depth+1)
		delete(r.active, ref)
		if !errors.Is(err, errTooLarge) {
			// A budget error depends on what was expanded before; the
			// others are the variable's own.
			r.memo[ref] = resolved{out, err, r.placeholder}
		}
		r.placeholder = outer || r.placeholder
		return out, err
	}
	return "", fmt.Errorf("undefined variable ${%s}: define it under vars:, in the environment, or with --var %s=VALUE", ref, ref)
}

func (r *resolver) resolveEnv(ref, name string) (string, error) {
	name, def, hasDef := strings.Cut(name, ":-")
	if name == "" {
		return "", fmt.Errorf("empty environment variable name in ${%s}", ref)
	}
	v, set := r.lookup(name)
	if !set || (v == "" && hasDef) {
		switch {
		case hasDef:
			return def, nil // a default is written in the file: not a secret
		case r.noEnv:
			// Linting without secrets: the reference stands for itself,
			// and what depends on it is not checked.
			r.needed[name] = true
			r.placeholder = true
			return "${env:" + name + "}", nil
		}
		return "", fmt.Errorf("environment variable %s is not set (use ${env:%s:-default} for a default)", name, name)
	}
	if v != "" {
		r.secrets[v] = true
	}
	return v, nil
}

// interpolateItem is interpolate on an item, except that in the block of
// a kind that resolves some names at run time (a flow's ${run_id},
// ${uuid} and captures) those references are left for the probe.
// Elsewhere in the item (title, description) they are errors as ever.
//
// With own, n is a node of its own whose Content it shares with the
// document as written, which must stay as written: what changes below n
// is copied (interpolateOwn), and n.Content with it.
func (r *resolver) interpolateItem(n *yaml.Node, own bool, report func(n *yaml.Node, col int, msg string)) {
	if n.Kind != yaml.MappingNode {
		if own {
			r.interpolateOwn(n, report)
		} else {
			r.interpolate(n, report)
		}
		return
	}
	if own {
		// The item's own slice, filled as it goes: a message names the
		// item by its id as interpolated so far, as in place.
		n.Content = slices.Clone(n.Content)
	}
	expand := func(i int) {
		if own {
			n.Content[i] = r.interpolateCopy(n.Content[i], report)
		} else {
			r.interpolate(n.Content[i], report)
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		kind, ok := checks.Lookup(k.Value)
		if !ok || kind.RunTimeNames == nil || v.Kind != yaml.MappingNode {
			expand(i + 1)
			continue
		}
		var block map[string]any
		if err := v.Decode(&block); err != nil {
			block = nil // the strict decoder reports it with a position
		}
		r.runTime = map[string]bool{}
		for _, name := range kind.RunTimeNames(block) {
			r.runTime[name] = true
		}
		expand(i + 1)
		r.runTime = nil
	}
}

// interpolateOwn is interpolate on a node of its own (not the
// document's) whose Content is the document's: n changes in place, what
// changes below it is copied (interpolateCopy).
func (r *resolver) interpolateOwn(n *yaml.Node, report func(n *yaml.Node, col int, msg string)) {
	switch n.Kind {
	case yaml.ScalarNode:
		r.interpolate(n, report)
	case yaml.MappingNode:
		n.Content = slices.Clone(n.Content)
		for i := 1; i < len(n.Content); i += 2 {
			n.Content[i] = r.interpolateCopy(n.Content[i], report)
		}
	case yaml.SequenceNode, yaml.DocumentNode:
		n.Content = slices.Clone(n.Content)
		for i, c := range n.Content {
			n.Content[i] = r.interpolateCopy(c, report)
		}
	}
}

// interpolateCopy is interpolate that leaves n and everything below it
// as it is: it returns n when nothing below it changes, else a copy of n
// in which each scalar that changed (or is tainted) is a copy and each
// mapping or list above one is too; the rest is shared. A checklist
// without aliases is interpolated this way, so that the document as
// written needs no deep copy (issue 16); messages and taints are those
// of interpolate, on the copies.
func (r *resolver) interpolateCopy(n *yaml.Node, report func(n *yaml.Node, col int, msg string)) *yaml.Node {
	switch n.Kind {
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "${") {
			r.placeholder = false
			return n // expand would return it as is, untainted
		}
		c := *n
		r.interpolate(&c, report)
		return &c
	case yaml.MappingNode:
		return r.interpolateChildren(n, 1, 2, report) // values, not keys
	case yaml.SequenceNode, yaml.DocumentNode:
		return r.interpolateChildren(n, 0, 1, report)
	}
	return n
}

// interpolateChildren is interpolateCopy of n's children from first, every
// step: n itself when none changes, else a copy with the changed ones.
func (r *resolver) interpolateChildren(n *yaml.Node, first, step int, report func(n *yaml.Node, col int, msg string)) *yaml.Node {
	var content []*yaml.Node
	for i := first; i < len(n.Content); i += step {
		if v := r.interpolateCopy(n.Content[i], report); v != n.Content[i] {
			if content == nil {
				content = slices.Clone(n.Content)
			}
			content[i] = v
		}
	}
	if content == nil {
		return n
	}
	c := *n
	c.Content = content
	return &c
}

// interpolate expands references in every scalar value below n (keys are
// left alone), reporting one error per unresolved scalar and tainting it.
func (r *resolver) interpolate(n *yaml.Node, report func(n *yaml.Node, col int, msg string)) {
	switch n.Kind {
	case yaml.ScalarNode:
		r.placeholder = false
		out, off, err := r.expand(n.Value, 0)
		if r.placeholder {
			r.tainted[n] = true
		}
		if err != nil {
			if r.reportsFailures {
				r.tainted[n] = true
			}
			if errors.Is(err, errTooLarge) {
				if r.overspent {
					return // said once; the rest is the same problem
				}
				r.overspent = true
			}
			report(n, columnOf(n, off), err.Error())
			return
		}
		if out != n.Value && n.Style == 0 && resolvesToScalar(out) {
			// A plain `retries: ${n}` reads as the number it expands to,
			// as if written so; a quoted "${n}" stays a string. Only
			// numbers and booleans: an empty or "null" expansion must not
			// turn a field into "not set" and take its default.
			n.Tag = ""
		}
		n.Value = out
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			r.interpolate(n.Content[i], report)
		}
	case yaml.SequenceNode, yaml.DocumentNode:
		for _, c := range n.Content {
			r.interpolate(c, report)
		}
	}
}

// resolvesToScalar says whether YAML reads a plain s as an integer, a
// float or a boolean.
func resolvesToScalar(s string) bool {
	switch (&yaml.Node{Kind: yaml.ScalarNode, Value: s}).ShortTag() {
	case "!!int", "!!float", "!!bool":
		return true
	}
	return false
}

func sortedKeys(m map[string]bool) []string {
	var out []string // nil when empty, as before
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// columnOf points at the reference inside a one-line scalar.
func columnOf(n *yaml.Node, off int) int {
	if strings.Contains(n.Value, "\n") {
		return n.Column
	}
	switch n.Style {
	case 0, yaml.TaggedStyle:
		return n.Column + off
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		return n.Column + 1 + off
	}
	return n.Column
}
