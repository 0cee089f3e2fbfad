package expect

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"

	"github.com/expr-lang/expr/ast"

	"github.com/readyctl/readyctl/checks"
)

// BaselineName is the name under which an expression reads the
// observations of the same item in an earlier run (check --baseline, or
// a deployment's pre-deploy measurement): `p95 < baseline.p95 * 1.2`.
// baseline.NAME has the type of NAME.
const BaselineName = "baseline"

// ErrNoBaseline is returned (wrapped) by EvalWith when an expression reads
// baseline.NAME and there is no such value: no baseline was given, the
// baseline run did not check the item, or did not measure NAME. It is
// an error, never a pass: a comparison with nothing proves nothing.
var ErrNoBaseline = errors.New("no baseline")

// baselineNames lists the NAMEs an expression reads as baseline.NAME;
// all is set when it reads baseline as a whole (baseline["p95"], a loop).
func baselineNames(root ast.Node) (names []string, all bool) {
	seen := map[string]bool{}
	ast.Find(root, func(n ast.Node) bool {
		switch node := n.(type) {
		case *ast.MemberNode:
			id, ok := node.Node.(*ast.IdentifierNode)
			if !ok || id.Value != BaselineName {
				return false
			}
			if s, ok := node.Property.(*ast.StringNode); ok {
				if !seen[s.Value] {
					seen[s.Value] = true
					names = append(names, s.Value)
				}
				return false
			}
			all = true
		case *ast.IdentifierNode:
			if node.Value == BaselineName {
				all = true // also set by the identifier under a member: corrected below
			}
		}
		return false
	})
	if all && len(names) > 0 {
		// The identifier is visited under each member too; a bare use is
		// one more identifier than there are members reading a name.
		ids, members := 0, 0
		ast.Find(root, func(n ast.Node) bool {
			switch node := n.(type) {
			case *ast.IdentifierNode:
				if node.Value == BaselineName {
					ids++
				}
			case *ast.MemberNode:
				if id, ok := node.Node.(*ast.IdentifierNode); ok && id.Value == BaselineName {
					if _, ok := node.Property.(*ast.StringNode); ok {
						members++
					}
				}
			}
			return false
		})
		all = ids > members
	}
	return names, all
}

// EvalWith is Eval with the item's observations from the baseline run
// (nil: none). An expression that reads baseline.NAME without a value for
// it is not evaluated: ok is false, msg says which value is missing, and
// err wraps ErrNoBaseline. When it does not hold, msg ends with how each
// baseline-compared observation changed, in percent.
func (e *Expectation) EvalWith(ctx context.Context, obs, baseline map[string]any) (ok bool, msg string, err error) {
	if !e.usesBaseline {
		return e.Eval(ctx, obs)
	}
	var missing []string
	for _, n := range e.baselineNames {
		if baseline == nil || baseline[n] == nil {
			missing = append(missing, BaselineName+"."+n)
		}
	}
	if baseline == nil || len(missing) > 0 {
		what := "no baseline run was given (check --baseline REPORT.json, or deploy's pre-deploy measurement)"
		if baseline != nil {
			what = "the baseline run did not measure " + strings.Join(missing, ", ")
		}
		return false, e.Source + ": " + what, fmt.Errorf("%s: %w", e.Source, ErrNoBaseline)
	}
	typed := make(map[string]any, len(baseline))
	for k, v := range baseline {
		typed[k] = e.env.baselineValue(k, v)
	}
	all := make(map[string]any, len(obs)+1)
	for k, v := range obs {
		all[k] = v
	}
	all[BaselineName] = typed
	ok, msg, err = e.Eval(ctx, all)
	if ok || err != nil {
		return ok, msg, err
	}
	var changes []string
	for _, n := range e.baselineNames {
		if c := percentChange(typed[n], e.env.baselineValue(n, obs[n])); c != "" {
			changes = append(changes, n+" "+c+" against the baseline")
		}
	}
	if len(changes) > 0 {
		msg += " (" + strings.Join(changes, ", ") + ")"
	}
	return false, msg, nil
}

// baselineValue converts a baseline value to its declared type: a
// baseline read from a JSON report holds durations as strings and
// integers as floats.
func (e *exprEnv) baselineValue(name string, v any) any {
	d, ok := e.decls[name]
	if !ok {
		return v
	}
	switch d.Type {
	case checks.TypeDuration:
		if s, ok := v.(string); ok {
			if dur, err := time.ParseDuration(s); err == nil {
				return dur
			}
		}
	case checks.TypeInt:
		if f, ok := v.(float64); ok && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int(f)
		}
	}
	return normalize(e, name, d.Type, v)
}

// percentChange is "+25.0%" from before to after, or "" when either is
// not a number or before is 0.
func percentChange(before, after any) string {
	b, ok1 := checks.Number(before)
	a, ok2 := checks.Number(after)
	if !ok1 || !ok2 || b == 0 {
		return ""
	}
	return fmt.Sprintf("%+.1f%%", (a-b)/math.Abs(b)*100)
}

const scaleName = "__scale"

// scalePatcher makes a duration times or divided by a number a duration
// (`baseline.p95 * 1.2`, `latency / 2`): expr-lang would make it a float
// of nanoseconds, which no longer compares with a duration.
type scalePatcher struct{}

func isNumber(t reflect.Type) bool {
	if t == nil || t == durationType {
		return false
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

var durationType = reflect.TypeOf(time.Duration(0))

func (scalePatcher) Visit(n *ast.Node) {
	b, ok := (*n).(*ast.BinaryNode)
	if !ok || (b.Operator != "*" && b.Operator != "/") {
		return
	}
	l, r := b.Left.Type(), b.Right.Type()
	switch {
	case l == durationType && isNumber(r):
	case b.Operator == "*" && isNumber(l) && r == durationType:
	default:
		return
	}
	ast.Patch(n, &ast.CallNode{
		Callee:    &ast.IdentifierNode{Value: scaleName},
		Arguments: []ast.Node{b.Left, b.Right, &ast.StringNode{Value: b.Operator}},
	})
}

func scale(args ...any) (any, error) {
	d, f := args[0], args[1]
	if _, ok := f.(time.Duration); ok {
		d, f = f, d
	}
	dur, ok := d.(time.Duration)
	k, ok2 := asNumber(f)
	if !ok || !ok2 {
		return nil, fmt.Errorf("cannot scale %v by %v", args[0], args[1])
	}
	var out float64
	switch args[2] {
	case "/":
		if k == 0 {
			return nil, errors.New("division of a duration by zero")
		}
		out = float64(dur) / k
	default:
		out = float64(dur) * k
	}
	if math.IsNaN(out) || math.Abs(out) > math.MaxInt64 {
		return nil, errors.New("duration out of range")
	}
	return time.Duration(out), nil
}

func asNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case uint64:
		return float64(x), true
	}
	return 0, false
}
