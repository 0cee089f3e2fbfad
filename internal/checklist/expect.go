package checklist

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
)

// Expectation is one compiled `expect:` expression.
type Expectation struct {
	Source  string
	program *vm.Program
	// operands are the observation paths the expression reads, each with
	// its own small program, so a failure can say what it saw.
	operands []operand
}

type operand struct {
	path    string
	program *vm.Program
}

func compileOptions() []expr.Option {
	// Observations differ per kind and per run, so names are resolved at
	// run time: an unknown name is nil rather than a load error.
	return []expr.Option{expr.AllowUndefinedVariables()}
}

// CompileExpectation compiles src as a boolean expr-lang expression.
func CompileExpectation(src string) (*Expectation, error) {
	prog, err := expr.Compile(src, append(compileOptions(), expr.AsBool())...)
	if err != nil {
		return nil, fmt.Errorf("expect %q: %s", src, firstLine(err.Error()))
	}
	e := &Expectation{Source: src, program: prog}
	tree, err := parser.Parse(src)
	if err != nil {
		return e, nil
	}
	for _, p := range operandPaths(tree.Node) {
		if op, err := expr.Compile(p, compileOptions()...); err == nil {
			e.operands = append(e.operands, operand{p, op})
		}
	}
	return e, nil
}

// Eval runs the expression over observations. ok is false when it does
// not hold or cannot be evaluated; msg then says what was seen, e.g.
// `status == 200: status was 503`.
func (e *Expectation) Eval(obs map[string]any) (ok bool, msg string) {
	env := map[string]any(obs)
	if env == nil {
		env = map[string]any{}
	}
	out, err := expr.Run(e.program, env)
	if err == nil {
		if b, isBool := out.(bool); isBool && b {
			return true, ""
		}
	}
	var seen []string
	for _, op := range e.operands {
		v, opErr := expr.Run(op.program, env)
		if opErr != nil {
			continue
		}
		seen = append(seen, fmt.Sprintf("%s was %s", op.path, FormatValue(v)))
	}
	msg = e.Source
	if err != nil {
		msg += ": could not evaluate: " + firstLine(err.Error())
	}
	if len(seen) > 0 {
		if err != nil {
			msg += ";"
		} else {
			msg += ":"
		}
		msg += " " + strings.Join(seen, ", ")
	}
	return false, msg
}

// operandPaths lists the outermost observation paths (`status`,
// `json.data.ok`, `headers["x-id"]`) read by an expression, in order.
func operandPaths(root ast.Node) []string {
	var c pathCollector
	ast.Walk(&root, &c)
	var out []string
	seen := map[string]bool{}
	for _, p := range c.paths {
		if c.callee[p.node] || seen[p.path] {
			continue
		}
		covered := false
		for _, q := range c.paths {
			if q.path != p.path && strings.HasPrefix(q.path, p.path) && !c.callee[q.node] {
				covered = true
				break
			}
		}
		if !covered {
			seen[p.path] = true
			out = append(out, p.path)
		}
	}
	return out
}

type pathCollector struct {
	paths []struct {
		node ast.Node
		path string
	}
	callee map[ast.Node]bool
}

func (c *pathCollector) Visit(n *ast.Node) {
	if c.callee == nil {
		c.callee = map[ast.Node]bool{}
	}
	switch node := (*n).(type) {
	case *ast.CallNode:
		c.callee[node.Callee] = true
	case *ast.IdentifierNode, *ast.MemberNode:
		if p, ok := pathOf(node); ok {
			c.paths = append(c.paths, struct {
				node ast.Node
				path string
			}{node, p})
		}
	}
}

func pathOf(n ast.Node) (string, bool) {
	switch node := n.(type) {
	case *ast.IdentifierNode:
		return node.Value, true
	case *ast.MemberNode:
		base, ok := pathOf(node.Node)
		if !ok || node.Method {
			return "", false
		}
		switch prop := node.Property.(type) {
		case *ast.StringNode:
			if isIdent(prop.Value) {
				return base + "." + prop.Value, true
			}
			return fmt.Sprintf("%s[%q]", base, prop.Value), true
		case *ast.IntegerNode:
			return fmt.Sprintf("%s[%d]", base, prop.Value), true
		}
	}
	return "", false
}

func isIdent(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

// FormatValue renders an observed value compactly for messages.
func FormatValue(v any) string {
	const max = 120
	var s string
	switch x := v.(type) {
	case nil:
		return "nil"
	case string:
		if len(x) > max {
			x = x[:max] + "…"
		}
		return fmt.Sprintf("%q", x)
	case time.Duration:
		return x.String()
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, k+": "+FormatValue(x[k]))
		}
		s = "{" + strings.Join(parts, ", ") + "}"
	default:
		s = fmt.Sprint(x)
	}
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
