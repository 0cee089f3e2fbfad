package checklist

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// resolver expands ${name}, ${env:NAME} and ${env:NAME:-default}.
// Precedence for ${name}: --var > selected environment > vars.
type resolver struct {
	vars    []map[string]string // highest precedence first
	lookup  func(string) (string, bool)
	secrets map[string]bool
	noEnv   bool            // Options.NoEnv: an unset ${env:X} is a placeholder
	needed  map[string]bool // the X of those placeholders
	placed  int             // placeholders handed out so far
	tainted map[*yaml.Node]bool
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
			b.WriteString("${")
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
		val, err := r.resolve(ref, depth)
		if err != nil {
			return "", i, err
		}
		b.WriteString(val)
		i += end + 1
	}
	return b.String(), 0, nil
}

// envPlaceholder stands in for an unset ${env:X} under Options.NoEnv.
const envPlaceholder = "placeholder"

func (r *resolver) resolve(ref string, depth int) (string, error) {
	if depth > 10 {
		return "", fmt.Errorf("variable ${%s} refers to itself (loop)", ref)
	}
	if name, ok := strings.CutPrefix(ref, "env:"); ok {
		name, def, hasDef := strings.Cut(name, ":-")
		if name == "" {
			return "", fmt.Errorf("empty environment variable name in ${%s}", ref)
		}
		v, set := r.lookup(name)
		if !set || (v == "" && hasDef) {
			if !hasDef && r.noEnv {
				r.needed[name] = true
				r.placed++
				return envPlaceholder, nil
			}
			if !hasDef {
				return "", fmt.Errorf("environment variable %s is not set (use ${env:%s:-default} for a default)", name, name)
			}
			return def, nil // a default is written in the file: not a secret
		}
		if v != "" {
			r.secrets[v] = true
		}
		return v, nil
	}
	for _, m := range r.vars {
		if v, ok := m[ref]; ok {
			out, _, err := r.expand(v, depth+1)
			return out, err
		}
	}
	return "", fmt.Errorf("undefined variable ${%s}: define it under vars:, in the environment, or with --var %s=VALUE", ref, ref)
}

// interpolate expands references in every scalar value below n (keys are
// left alone), collecting one error per unresolved scalar.
func (r *resolver) interpolate(n *yaml.Node, report func(n *yaml.Node, col int, msg string)) {
	switch n.Kind {
	case yaml.ScalarNode:
		placed := r.placed
		out, off, err := r.expand(n.Value, 0)
		if err != nil {
			r.taint(n)
			report(n, columnOf(n, off), err.Error())
			return
		}
		if r.placed > placed {
			r.taint(n)
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

func (r *resolver) taint(n *yaml.Node) {
	if r.tainted != nil {
		r.tainted[n] = true
	}
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
