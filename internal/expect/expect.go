// Package expect compiles and evaluates the boolean expressions of
// `expect:` (and a flow step's `capture:`) over a probe's declared
// observations. Compiling type-checks against the declarations, so a
// mistake is a load error; evaluating is bounded in steps, bytes built
// and by the caller's context. It never does I/O and never decides an
// item's status: it says whether an expression held and what it saw.
package expect

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	"github.com/expr-lang/expr/checker/nature"
	"github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/optimizer"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/types"
	"github.com/expr-lang/expr/vm"
	exprruntime "github.com/expr-lang/expr/vm/runtime"

	"github.com/readyctl/readyctl/checks"
)

// Bounds of one evaluation. A checklist is code from a pull request and an
// observation is whatever a target sent: an expression must not turn a
// 40 KB body into gigabytes or loop for hours.
const (
	// maxSteps bounds the iterations of every predicate (all, map,
	// filter, reduce...) of one evaluation together; nested loops over a
	// large body reach it in seconds rather than never finishing.
	maxSteps = 50_000_000
	// maxBuiltBytes bounds a string join builds, and all the strings +
	// builds in one evaluation together (#acc + body in a reduce grows
	// quadratically).
	maxBuiltBytes = 8 << 20
	// tickEvery is how many steps pass between two looks at the deadline.
	tickEvery = 1024
)

// ErrEvalStopped is returned (wrapped) by Eval when the evaluation did
// not finish within the attempt's deadline or was interrupted.
var ErrEvalStopped = errors.New("expect evaluation stopped")

// Expectation is one compiled `expect:` expression.
type Expectation struct {
	Source  string
	program *vm.Program
	env     *exprEnv
	// operands are the observation paths the expression reads, each with
	// its own small program, so a failure can say what it saw.
	operands []operand
	// usesBaseline: the expression reads baseline; baselineNames are the
	// NAMEs of the baseline.NAME it reads.
	usesBaseline  bool
	baselineNames []string
}

type operand struct {
	path    string
	root    string // the observation the path starts at
	key     string // the entry of root it reads, e.g. "Content-Type"
	program *vm.Program
}

// exprEnv is the typed environment expressions of one kind compile
// against, built from the kind's declared observations.
type exprEnv struct {
	decls map[string]checks.Observation // by full (dotted) name
	names []string                      // top-level names, for suggestions
	typed types.Map
	// dynamic: the kind declares nothing, so any name is accepted and
	// resolved at run time (nil when absent).
	dynamic bool
	// nature is typed's, computed once: expr.Env computes it for every
	// program compiled (an expectation and each of its operands), which
	// was half of what loading a checklist with expect: allocated. The
	// compiler only reads it (and fills caches of its own the same way
	// each time).
	typedNature func() nature.Nature
}

// envOption is expr.Env(e.typed) with the nature computed once: what
// conf.Config.WithEnv does with a types.Map.
func (e *exprEnv) envOption() expr.Option {
	return func(c *conf.Config) {
		nt := e.typedNature()
		c.EnvObject = e.typed
		c.Env = nt
		c.Strict = nt.Strict
	}
}

// evalState is one evaluation's budget; the patched program calls
// __tick(__eval) once per predicate step.
type evalState struct {
	ctx   context.Context
	steps int
	built int // bytes of strings + has built
	stop  error
}

const (
	stateName = "__eval"
	tickName  = "__tick"
	addName   = "__add"
)

var (
	exprDurationType = types.TypeOf(time.Duration(0))
	stateType        = types.TypeOf(&evalState{})
)

func typeOf(t checks.Type) types.Type {
	switch t {
	case checks.TypeInt:
		return types.Int
	case checks.TypeFloat:
		return types.Float64
	case checks.TypeBool:
		return types.Bool
	case checks.TypeString:
		return types.String
	case checks.TypeDuration:
		return exprDurationType
	case checks.TypeTime:
		return types.TypeOf(time.Time{})
	case checks.TypeList:
		return types.TypeOf([]any{})
	}
	return types.Any
}

// newExprEnv builds the environment of a kind. A map observation whose
// fields are declared ("migrations.version") is strict: a misspelt field is
// an error at load; other maps (headers, json objects) stay dynamic.
func newExprEnv(decls []checks.Observation) *exprEnv {
	e := &exprEnv{decls: map[string]checks.Observation{}, typed: types.Map{stateName: stateType}}
	e.typedNature = sync.OnceValue(func() nature.Nature { return e.typed.Nature() })
	if len(decls) == 0 {
		e.dynamic = true
		e.typed[types.Extra] = types.Any
		return e
	}
	for _, d := range decls {
		e.decls[d.Name] = d
		if !strings.Contains(d.Name, ".") {
			e.names = append(e.names, d.Name)
		}
	}
	var build func(prefix string) types.Map
	build = func(prefix string) types.Map {
		m := types.Map{}
		for _, d := range decls {
			rest, ok := strings.CutPrefix(d.Name, prefix)
			if !ok || rest == "" || strings.Contains(rest, ".") {
				continue
			}
			if d.Type == checks.TypeMap {
				sub := build(d.Name + ".")
				if len(sub) == 0 {
					sub[types.Extra] = types.Any
				}
				m[rest] = sub
				continue
			}
			m[rest] = typeOf(d.Type)
		}
		return m
	}
	top := build("")
	for k, v := range top {
		e.typed[k] = v
	}
	if _, taken := e.decls[BaselineName]; !taken {
		// baseline.NAME is typed like NAME (see BaselineName).
		e.typed[BaselineName] = top
	}
	return e
}

// children returns the declared field names of map observation name.
func (e *exprEnv) children(name string) []string {
	var out []string
	for full := range e.decls {
		if rest, ok := strings.CutPrefix(full, name+"."); ok && !strings.Contains(rest, ".") {
			out = append(out, rest)
		}
	}
	sort.Strings(out)
	return out
}

func functions() []expr.Option {
	return []expr.Option{
		expr.Function(tickName, tick, new(func(*evalState) bool)),
		expr.Function(addName, boundedAdd, new(func(*evalState, any, any) any)),
		expr.Function("match_group", matchGroup,
			new(func(string, string) any), new(func(string, string, int) any)),
		expr.Function(scaleName, scale, new(func(any, any, string) time.Duration)),
		expr.Function("join", boundedJoin,
			new(func([]any, string) string), new(func([]any) string),
			new(func([]string, string) string), new(func([]string) string)),
	}
}

// parseConfig is shared: the parser only reads it.
var parseConfig = sync.OnceValue(func() *conf.Config {
	c := conf.CreateNew()
	for _, opt := range functions() {
		opt(c)
	}
	return c
})

// newConfig is conf.CreateNew sharing one table of builtins, which
// compiling only reads: copying it was most of the cost of loading a
// large checklist.
func newConfig() *conf.Config {
	c := *emptyConfig()
	c.ConstFns = map[string]reflect.Value{}
	c.Functions = conf.FunctionsTable{}
	c.Disabled = map[string]bool{}
	return &c
}

var emptyConfig = sync.OnceValue(func() *conf.Config {
	c := conf.CreateNew()
	return &conf.Config{Optimize: c.Optimize, ShortCircuit: c.ShortCircuit, MaxNodes: c.MaxNodes, Builtins: c.Builtins}
})

// compile is expr.Compile, except that src is parsed without the
// environment: an observation named like a builtin (load's "duration")
// must not turn duration("2s") into a call of the observation.
func (e *exprEnv) compile(src string, extra ...expr.Option) (*vm.Program, error) {
	return e.compileWith(e.envOption(), src, extra...)
}

// compileWith is compile with env as the environment's option.
func (e *exprEnv) compileWith(env expr.Option, src string, extra ...expr.Option) (*vm.Program, error) {
	tree, err := parser.ParseWithConfig(src, parseConfig())
	if err != nil {
		return nil, err
	}
	cfg := newConfig()
	for _, opt := range append(append(functions(), env), extra...) {
		opt(cfg)
	}
	cfg.Check()
	if _, err := new(checker.Checker).PatchAndCheck(tree, cfg); err != nil {
		return nil, err
	}
	if err := optimizer.Optimize(&tree.Node, cfg); err != nil {
		return nil, err
	}
	return compiler.Compile(tree, cfg)
}

// Compile compiles src as a boolean expr-lang expression over
// the observations decls declares; with no declarations every name is
// accepted and resolved at run time. An error says what is wrong in
// words, without the expression's position in the file.
func Compile(src string, decls []checks.Observation) (*Expectation, error) {
	return compileIn(src, newExprEnv(decls))
}

// Env is the typed environment built once from a kind's declarations, so
// that the expressions of one item share it.
type Env struct{ env *exprEnv }

// NewEnv builds the environment decls declares (see Compile).
func NewEnv(decls []checks.Observation) *Env { return &Env{newExprEnv(decls)} }

// Compile is Compile over the environment e.
func (e *Env) Compile(src string) (*Expectation, error) { return compileIn(src, e.env) }

// parse parses src, refusing the names readyctl's own helpers use.
func parse(src string) (*parser.Tree, error) {
	tree, err := parser.Parse(src)
	if err != nil {
		return nil, fmt.Errorf("syntax error: %s", exprMessage(err))
	}
	var reserved string
	ast.Find(tree.Node, func(n ast.Node) bool {
		if id, ok := n.(*ast.IdentifierNode); ok && strings.HasPrefix(id.Value, "__") {
			reserved = id.Value
			return true
		}
		return false
	})
	if reserved != "" {
		return nil, fmt.Errorf("unknown name %q", reserved)
	}
	return tree, nil
}

// patches are the rewrites every compiled expression gets: the deadline
// tick, bounded string addition, and a duration times a number staying a
// duration, so expectations and captured values compute alike.
func patches() []expr.Option {
	return []expr.Option{expr.Patch(tickPatcher{}), expr.Patch(addPatcher{}), expr.Patch(scalePatcher{})}
}

func compileIn(src string, env *exprEnv) (*Expectation, error) {
	tree, err := parse(src)
	if err != nil {
		return nil, err
	}
	prog, err := env.compile(src, append(patches(), expr.AsBool())...)
	if err != nil {
		return nil, env.explain(tree.Node, err)
	}
	e := &Expectation{Source: src, program: prog, env: env}
	if _, taken := env.decls[BaselineName]; !taken {
		names, all := baselineNames(tree.Node)
		e.baselineNames = names
		e.usesBaseline = all || len(names) > 0
	}
	for _, p := range operandPaths(tree.Node) {
		op, err := env.compile(p.path)
		if err != nil {
			continue
		}
		p.program = op
		e.operands = append(e.operands, p)
	}
	return e, nil
}

var mismatch = regexp.MustCompile(`^invalid operation: (\S+) \(mismatched types (.+) and (.+)\)$`)

// explain turns expr-lang's compile error into a message that names the
// problem the way the checklist's author thinks of it.
func (e *exprEnv) explain(root ast.Node, err error) error {
	msg := firstLine(err.Error())
	var fe *file.Error
	if errors.As(err, &fe) {
		msg = fe.Message
	}
	switch {
	case strings.HasPrefix(msg, "unknown name "):
		name := strings.TrimPrefix(msg, "unknown name ")
		out := fmt.Sprintf("unknown name %q", name)
		if s := Suggest(name, e.names); s != "" {
			out += fmt.Sprintf(" (did you mean %q?)", s)
		} else if len(e.names) > 0 {
			out += "; observations: " + strings.Join(e.names, ", ")
		}
		return errors.New(out)
	case strings.HasPrefix(msg, "unknown field "):
		field := strings.TrimPrefix(msg, "unknown field ")
		parent := ""
		ast.Find(root, func(n ast.Node) bool {
			m, ok := n.(*ast.MemberNode)
			if !ok {
				return false
			}
			if s, ok := m.Property.(*ast.StringNode); ok && s.Value == field {
				parent, _ = pathOf(m.Node)
				return true
			}
			return false
		})
		fields := e.children(parent)
		out := fmt.Sprintf("unknown field %q of %s", field, parent)
		if s := Suggest(field, fields); s != "" {
			out += fmt.Sprintf(" (did you mean %q?)", s)
		} else if len(fields) > 0 {
			out += "; fields: " + strings.Join(fields, ", ")
		}
		return errors.New(out)
	case strings.HasPrefix(msg, "expected bool, but got "):
		got := typeWord(strings.TrimPrefix(msg, "expected bool, but got "))
		return fmt.Errorf("the expression gives %s, not true or false: write a condition such as status == 200", got)
	}
	if m := mismatch.FindStringSubmatch(msg); m != nil {
		op, a, b := m[1], typeWord(m[2]), typeWord(m[3])
		if hint := e.durationHint(root, op); hint != "" {
			return errors.New(hint)
		}
		return fmt.Errorf("type mismatch: %s cannot be applied to %s and %s", op, a, b)
	}
	return errors.New(msg)
}

// durationHint explains a duration compared with a bare number or a
// string: expr-lang would compare nanoseconds, or refuse, so the checklist
// must say duration("500ms").
func (e *exprEnv) durationHint(root ast.Node, op string) string {
	var hint string
	ast.Find(root, func(n ast.Node) bool {
		b, ok := n.(*ast.BinaryNode)
		if !ok || b.Operator != op {
			return false
		}
		for _, pair := range [][2]ast.Node{{b.Left, b.Right}, {b.Right, b.Left}} {
			if !e.isDuration(pair[0]) {
				continue
			}
			side := nodeText(pair[0])
			switch lit := pair[1].(type) {
			case *ast.StringNode:
				hint = fmt.Sprintf("%s is a duration and %q is a string: write duration(%q)", side, lit.Value, lit.Value)
			case *ast.IntegerNode:
				hint = fmt.Sprintf("%s is a duration and %d is a number without a unit: write duration(\"%dms\") or duration(\"%ds\")", side, lit.Value, lit.Value, lit.Value)
			case *ast.FloatNode:
				hint = fmt.Sprintf("%s is a duration and %g is a number without a unit: write duration(\"%gs\")", side, lit.Value, lit.Value)
			default:
				continue
			}
			return true
		}
		return false
	})
	return hint
}

func (e *exprEnv) isDuration(n ast.Node) bool {
	if b, ok := n.(*ast.BuiltinNode); ok {
		return b.Name == "duration"
	}
	p, ok := pathOf(n)
	return ok && e.decls[p].Type == checks.TypeDuration
}

func nodeText(n ast.Node) string {
	if p, ok := pathOf(n); ok {
		return p
	}
	if b, ok := n.(*ast.BuiltinNode); ok {
		return b.Name + "(...)"
	}
	return "the left side"
}

// typeWord names a Go type the way `readyctl probes` does.
func typeWord(s string) string {
	switch s {
	case "time.Duration":
		return "a duration"
	case "time.Time":
		return "a time"
	case "[]interface {}":
		return "a list"
	case "map[string]interface {}":
		return "a map"
	case "interface {}":
		return "any"
	case "float64":
		return "a float"
	case "string", "bool":
		return "a " + s
	case "int":
		return "an int"
	}
	return s
}

// tickPatcher makes every predicate step call __tick(__eval) first, so a
// loop can be stopped: expr-lang's VM has no deadline of its own.
type tickPatcher struct{}

func (tickPatcher) Visit(n *ast.Node) {
	p, ok := (*n).(*ast.PredicateNode)
	if !ok {
		return
	}
	if s, ok := p.Node.(*ast.SequenceNode); ok && len(s.Nodes) > 0 {
		if c, ok := s.Nodes[0].(*ast.CallNode); ok {
			if id, ok := c.Callee.(*ast.IdentifierNode); ok && id.Value == tickName {
				return // already patched
			}
		}
	}
	call := &ast.CallNode{
		Callee:    &ast.IdentifierNode{Value: tickName},
		Arguments: []ast.Node{&ast.IdentifierNode{Value: stateName}},
	}
	ast.Patch(&p.Node, &ast.SequenceNode{Nodes: []ast.Node{call, p.Node}})
}

// addPatcher makes every + that may join strings (a string or an
// untyped operand on each side) call __add(__eval, a, b), which counts the
// bytes it builds; + of typed numbers and durations is left alone.
type addPatcher struct{}

var (
	stringType = reflect.TypeOf("")
)

func mayBeString(n ast.Node) bool {
	t := n.Type()
	return t == stringType || t.Kind() == reflect.Interface
}

func (addPatcher) Visit(n *ast.Node) {
	b, ok := (*n).(*ast.BinaryNode)
	if !ok || b.Operator != "+" || !mayBeString(b.Left) || !mayBeString(b.Right) {
		return
	}
	ast.Patch(n, &ast.CallNode{
		Callee:    &ast.IdentifierNode{Value: addName},
		Arguments: []ast.Node{&ast.IdentifierNode{Value: stateName}, b.Left, b.Right},
	})
}

func boundedAdd(args ...any) (any, error) {
	st, _ := args[0].(*evalState)
	a, aok := args[1].(string)
	b, bok := args[2].(string)
	if st != nil && aok && bok {
		st.built += len(a) + len(b)
		if st.built > maxBuiltBytes {
			st.stop = fmt.Errorf("%w: + built more than %d MB of strings: an expression may build at most that", ErrEvalStopped, maxBuiltBytes>>20)
			return nil, st.stop
		}
		return a + b, nil
	}
	return exprruntime.Add(args[1], args[2]), nil
}

func tick(args ...any) (any, error) {
	st, _ := args[0].(*evalState)
	if st == nil {
		return true, nil
	}
	st.steps++
	if st.steps%tickEvery == 0 {
		if err := st.ctx.Err(); err != nil {
			st.stop = fmt.Errorf("%w: %w", ErrEvalStopped, err)
			return nil, st.stop
		}
	}
	if st.steps > maxSteps {
		st.stop = fmt.Errorf("%w after %d steps: loops over the observations are bounded", ErrEvalStopped, maxSteps)
		return nil, st.stop
	}
	return true, nil
}

func boundedJoin(args ...any) (any, error) {
	glue := ""
	if len(args) == 2 {
		glue, _ = args[1].(string)
	}
	var parts []string
	switch x := args[0].(type) {
	case []string:
		parts = x
	case []any:
		parts = make([]string, len(x))
		for i, v := range x {
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("join: element %d is %s, not a string", i, typeWord(fmt.Sprintf("%T", v)))
			}
			parts[i] = s
		}
	default:
		return nil, fmt.Errorf("join: expected a list of strings, got %T", args[0])
	}
	size := len(glue) * max(len(parts)-1, 0)
	for _, s := range parts {
		size += len(s)
		if size > maxBuiltBytes {
			return nil, fmt.Errorf("join would build more than %d MB: an expression may build at most that", maxBuiltBytes>>20)
		}
	}
	return strings.Join(parts, glue), nil
}

// env returns the environment an evaluation runs over: observations
// converted to their declared Go types, plus the evaluation's budget.
func (e *exprEnv) env(obs map[string]any, st *evalState) map[string]any {
	out := make(map[string]any, len(obs)+1)
	for k, v := range obs {
		if d, ok := e.decls[k]; ok {
			v = normalize(e, k, d.Type, v)
		}
		out[k] = v
	}
	out[stateName] = st
	return out
}

func normalize(e *exprEnv, name string, t checks.Type, v any) any {
	if m, ok := v.(map[string]any); ok && t == checks.TypeMap {
		var cp map[string]any
		for k, sub := range m {
			d, ok := e.decls[name+"."+k]
			if !ok {
				continue
			}
			if n := normalize(e, name+"."+k, d.Type, sub); n != sub || d.Type == checks.TypeMap {
				if cp == nil {
					cp = make(map[string]any, len(m))
					for k2, v2 := range m {
						cp[k2] = v2
					}
				}
				cp[k] = n
			}
		}
		if cp != nil {
			return cp
		}
		return m
	}
	return checks.Normalize(t, v)
}

// Eval runs the expression over observations. ok is false when it does
// not hold or cannot be evaluated; msg then says what was seen, e.g.
// `status == 200: status was 503`, or what is wrong in words. err is
// ErrEvalStopped (wrapping ctx's error) when the evaluation did not finish
// within ctx: the item's deadline, --timeout or Ctrl-C.
func (e *Expectation) Eval(ctx context.Context, obs map[string]any) (ok bool, msg string, err error) {
	st := &evalState{ctx: ctx}
	env := e.env.env(obs, st)
	out, runErr := vm.Run(e.program, env)
	if st.stop != nil {
		if errors.Is(st.stop, context.DeadlineExceeded) || errors.Is(st.stop, context.Canceled) {
			return false, e.Source + ": " + firstLine(st.stop.Error()), st.stop
		}
		return false, e.Source + ": " + firstLine(st.stop.Error()), nil
	}
	if runErr == nil {
		if b, isBool := out.(bool); isBool && b {
			return true, "", nil
		}
	}
	return false, e.describe(env, obs, runErr), nil
}

// describe says why the expression did not hold: each operand's value and,
// for a nil one, what its kind says about it.
func (e *Expectation) describe(env, obs map[string]any, runErr error) string {
	var seen, why []string
	for _, op := range e.operands {
		v, opErr := vm.Run(op.program, env)
		if opErr == nil && v != nil {
			seen = append(seen, fmt.Sprintf("%s was %s", op.path, FormatValue(v)))
			continue
		}
		d := e.env.decls[op.root]
		if d.Why != nil {
			key := op.key
			if env[op.root] == nil {
				key = ""
			}
			if w := d.Why(obs, key); w != "" {
				if key == "" && op.path != op.root {
					why = append(why, w)
				} else {
					why = append(why, fmt.Sprintf("%s was nil: %s", op.path, w))
				}
				continue
			}
		}
		switch {
		case opErr == nil:
			seen = append(seen, fmt.Sprintf("%s was nil", op.path))
		case op.root != "" && env[op.root] == nil:
			// json.a on a nil json: the root is what was not measured.
			seen = append(seen, fmt.Sprintf("%s was nil", op.root))
		}
	}
	seen = dedupe(seen)
	msg := e.Source
	switch {
	case len(why) > 0:
		return msg + ": " + strings.Join(dedupe(append(why, seen...)), ", ")
	case runErr != nil && len(seen) > 0 && strings.Contains(runErr.Error(), "<nil>"):
		// A comparison with a value the probe did not measure.
		return msg + ": " + strings.Join(seen, ", ")
	case runErr != nil:
		msg += ": could not evaluate: " + exprMessage(runErr)
		if len(seen) > 0 {
			msg += "; " + strings.Join(seen, ", ")
		}
		return msg
	case len(seen) > 0:
		return msg + ": " + strings.Join(seen, ", ")
	}
	return msg
}

func dedupe(list []string) []string {
	seen := map[string]bool{}
	out := list[:0]
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// exprMessage is expr-lang's message without its source excerpt.
func exprMessage(err error) string {
	var fe *file.Error
	if errors.As(err, &fe) {
		msg := fe.Message
		if msg == "memory budget exceeded" {
			return "evaluation stopped: it would use more memory than an expression may"
		}
		return msg
	}
	return firstLine(err.Error())
}

// operandPaths lists the outermost observation paths (`status`,
// `json.data.ok`, `headers["x-id"]`) read by an expression, in order.
func operandPaths(root ast.Node) []operand {
	var c pathCollector
	ast.Walk(&root, &c)
	var out []operand
	seen := map[string]bool{}
	for _, p := range c.paths {
		if c.callee[p.node] || seen[p.path] || strings.HasPrefix(p.path, "__") {
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
			r, k := rootKey(p.node)
			out = append(out, operand{path: p.path, root: r, key: k})
		}
	}
	return out
}

// rootKey returns the observation a path starts at and the entry of it
// the path reads ("" when it reads the observation itself).
func rootKey(n ast.Node) (root, key string) {
	for {
		switch node := n.(type) {
		case *ast.IdentifierNode:
			return node.Value, key
		case *ast.MemberNode:
			if s, ok := node.Property.(*ast.StringNode); ok {
				key = s.Value
			} else {
				key = ""
			}
			n = node.Node
		default:
			return "", ""
		}
	}
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

// Value is one compiled expression whose result is kept rather than
// tested: a flow step's `capture: {NAME: EXPR}`.
type Value struct {
	Source  string
	program *vm.Program
	env     *exprEnv
}

// CompileValue compiles src as an expression of any type over e, with
// the same bounds and the same words for mistakes as Compile.
func (e *Env) CompileValue(src string) (*Value, error) {
	tree, err := parse(src)
	if err != nil {
		return nil, err
	}
	prog, err := e.env.compile(src, patches()...)
	if err != nil {
		return nil, e.env.explain(tree.Node, err)
	}
	return &Value{Source: src, program: prog, env: e.env}, nil
}

// Eval computes the value over obs. err wraps ErrEvalStopped when the
// evaluation ran out of time or budget, or says why it could not be
// evaluated (such as a field of a nil value).
func (v *Value) Eval(ctx context.Context, obs map[string]any) (any, error) {
	st := &evalState{ctx: ctx}
	out, err := vm.Run(v.program, v.env.env(obs, st))
	if st.stop != nil {
		return nil, st.stop
	}
	if err != nil {
		return nil, fmt.Errorf("%s: could not evaluate: %s", v.Source, exprMessage(err))
	}
	return out, nil
}

// maxPatternBytes bounds a match_group pattern: a pattern may be built
// from an observation, and compiling a huge one costs time and memory.
const maxPatternBytes = 4 << 10

// patterns caches compiled match_group patterns; a checklist holds few.
var patterns sync.Map // string -> *regexp.Regexp

// matchGroup is match_group(s, pattern[, n]): group n (default 1; 0 the
// whole match) of pattern's first match in s, or nil when it does not
// match, e.g. a flow's capture: {csrf: 'match_group(body, "name=csrf value=\"([^\"]+)")'}.
// RE2 runs in time linear in s.
func matchGroup(args ...any) (any, error) {
	s, _ := args[0].(string)
	pattern, _ := args[1].(string)
	n := 1
	if len(args) == 3 {
		n, _ = args[2].(int)
	}
	if len(pattern) > maxPatternBytes {
		return nil, fmt.Errorf("match_group: the pattern is longer than %d bytes", maxPatternBytes)
	}
	var re *regexp.Regexp
	if v, ok := patterns.Load(pattern); ok {
		re = v.(*regexp.Regexp)
	} else {
		var err error
		if re, err = regexp.Compile(pattern); err != nil {
			return nil, fmt.Errorf("match_group: bad pattern: %w", err)
		}
		patterns.Store(pattern, re)
	}
	if n < 0 || n > re.NumSubexp() {
		return nil, fmt.Errorf("match_group: the pattern has no group %d", n)
	}
	m := re.FindStringSubmatchIndex(s)
	if m == nil || m[2*n] < 0 {
		return nil, nil
	}
	return s[m[2*n]:m[2*n+1]], nil
}
