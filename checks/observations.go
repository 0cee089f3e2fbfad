package checks

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
)

// Type is the type of an observation, as `expect:` expressions see it.
// The loader type-checks every expression against the kind's declared
// observations, so a misspelt name or a comparison of a duration with a
// string is an invalid checklist (exit 3), not a failing target.
type Type string

const (
	TypeInt      Type = "int"
	TypeFloat    Type = "float"
	TypeBool     Type = "bool"
	TypeString   Type = "string"
	TypeDuration Type = "duration"
	TypeTime     Type = "time"
	TypeList     Type = "list"
	TypeMap      Type = "map"
	TypeAny      Type = "any"
)

// Observation declares one named value a kind measures. A dotted name
// ("migrations.version") declares a field of a map observation.
type Observation struct {
	Name string
	Type Type
	Doc  string
	// Key marks the observations shown beside a failing item in the text
	// report (a load test: rps, p95, p99, error_rate).
	Key bool
	// Why, when set, says in words why the value is nil or lacks key
	// (key is "" for the observation itself, else the entry an expression
	// asked for, e.g. headers["Content-Type"]), such as "the body is not
	// JSON (content-type text/html)"; "" when it has nothing to add. It
	// turns a runtime evaluation problem into a message that points at
	// the fix.
	Why func(obs Observations, key string) string
}

// Lengthy is implemented by a probe whose attempt cannot finish in less
// than a known time (a load test's duration plus ramp-up, a rate-limit
// window). The loader gives an item without an explicit timeout one that
// fits, and refuses an explicit timeout that cannot.
type Lengthy interface {
	MinDuration() time.Duration
}

// Intrusive is implemented by a probe that, as configured, sends load or
// attack-like traffic (load, rate-limit bursts, injection canaries). Such
// an item runs only against an environment that opted in.
type Intrusive interface {
	Intrusive() bool
}

// Undeclared returns a problem for every observation in obs that kind does
// not declare, or whose value does not have the declared type (nil always
// fits: it means "not measured"). The runner logs them as bugs and probe
// tests fail on them, so declarations stay true.
func Undeclared(k Kind, obs Observations) []string {
	if len(k.Observations) == 0 {
		return nil
	}
	d := declarationsOf(k)
	decl, strict := d.types, d.strict
	var out []string
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for name, v := range m {
			full := prefix + name
			t, ok := decl[full]
			if !ok {
				if prefix == "" || strict[prefix] {
					out = append(out, fmt.Sprintf("observation %q of kind %s is not declared", full, k.Name))
				}
				continue
			}
			if !Fits(t, v) {
				out = append(out, fmt.Sprintf("observation %q of kind %s is %T, declared %s", full, k.Name, v, t))
				continue
			}
			if sub, isMap := v.(map[string]any); isMap && t == TypeMap {
				walk(full+".", sub)
			}
		}
	}
	walk("", obs)
	return out
}

// declarations is a kind's observations indexed for Undeclared, which
// runs for every item: Register builds them once per kind (issue 16).
type declarations struct {
	types  map[string]Type
	strict map[string]bool // maps with declared fields: expressions may use no other
}

func declarationsOf(k Kind) *declarations {
	if k.decl != nil {
		return k.decl
	}
	d := &declarations{types: make(map[string]Type, len(k.Observations)), strict: map[string]bool{}}
	for _, o := range k.Observations {
		d.types[o.Name] = o.Type
		if i := strings.LastIndexByte(o.Name, '.'); i > 0 {
			d.strict[o.Name[:i+1]] = true
		}
	}
	return d
}

// Fits reports whether v is a value of type t as expressions see it.
func Fits(t Type, v any) bool {
	if v == nil {
		return true
	}
	switch t {
	case TypeAny:
		return true
	case TypeInt:
		switch v.(type) {
		case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
			return true
		}
	case TypeFloat:
		switch v.(type) {
		case float64, float32, int, int64, int32:
			return true
		}
	case TypeBool:
		_, ok := v.(bool)
		return ok
	case TypeString:
		_, ok := v.(string)
		return ok
	case TypeDuration:
		_, ok := v.(time.Duration)
		return ok
	case TypeTime:
		_, ok := v.(time.Time)
		return ok
	case TypeList:
		_, ok := v.([]any)
		return ok
	case TypeMap:
		_, ok := v.(map[string]any)
		return ok
	}
	return false
}

// Normalize converts v to the Go type expressions are compiled for (int
// for every integer, float64 for every number of a float observation),
// so a probe returning int64 cannot break a typed comparison. A value
// that does not fit is returned unchanged.
func Normalize(t Type, v any) any {
	switch t {
	case TypeInt:
		switch x := v.(type) {
		case int8:
			return int(x)
		case int16:
			return int(x)
		case int32:
			return int(x)
		case int64:
			return int(x)
		case uint8:
			return int(x)
		case uint16:
			return int(x)
		case uint32:
			return int(x)
		case uint:
			if x <= math.MaxInt {
				return int(x)
			}
		case uint64:
			if x <= math.MaxInt {
				return int(x)
			}
		}
	case TypeFloat:
		switch x := v.(type) {
		case float32:
			return float64(x)
		case int:
			return float64(x)
		case int64:
			return float64(x)
		case int32:
			return float64(x)
		}
	}
	return v
}

// ValidTypes lists every Type, for tests and messages.
var ValidTypes = []Type{TypeInt, TypeFloat, TypeBool, TypeString, TypeDuration, TypeTime, TypeList, TypeMap, TypeAny}

// Number is v as a float64 when it is a number (durations in
// milliseconds); false for anything else, NaN and infinities included.
func Number(v any) (float64, bool) {
	var f float64
	switch x := v.(type) {
	case time.Duration:
		f = float64(x) / float64(time.Millisecond)
	case float64:
		f = x
	case float32:
		f = float64(x)
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	case int32:
		f = float64(x)
	case uint64:
		f = float64(x)
	case uint32:
		f = float64(x)
	case json.Number:
		g, err := x.Float64()
		if err != nil {
			return 0, false
		}
		f = g
	default:
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}
