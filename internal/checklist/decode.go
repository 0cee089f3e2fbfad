package checklist

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/readyctl/readyctl/checks"
)

// fieldError is a problem found while decoding a node; the loader adds the
// file name and the item id.
type fieldError struct {
	node *yaml.Node
	msg  string
}

var (
	durationType    = reflect.TypeOf(time.Duration(0))
	nodeType        = reflect.TypeOf(yaml.Node{})
	unmarshalerType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()
)

// fieldPath is where a value sits below the block being decoded
// ("http.headers[0]"), built only when a message needs it: spelling it
// out for every field of every item was an allocation per field (issue
// 16). A step is a key (parent.key) or, with index >= 0, an element
// (parent[index]); the root's key is the path given to decodeStrict.
type fieldPath struct {
	parent *fieldPath
	key    string
	index  int
}

func (p *fieldPath) String() string {
	if p.parent == nil {
		return p.key
	}
	if p.index >= 0 {
		return p.parent.String() + "[" + strconv.Itoa(p.index) + "]"
	}
	return join(p.parent.String(), p.key)
}

// prefix is the path and ": " that start a message, "" at the root.
func (p *fieldPath) prefix() string { return prefix(p.String()) }

// decodeStrict decodes n into v like yaml.v3 with KnownFields(true), but it
// keeps going after the first problem and reports each one at the exact
// line and column of the node at fault. yaml.v3's Node.Decode has no strict
// mode and its type errors carry no column, hence this walker. It follows
// aliases, so its callers bound it first with CheckNodes (Parse and
// DecodeBlock do, on the whole document).
func decodeStrict(n *yaml.Node, v reflect.Value, path string) []fieldError {
	return decodeAt(n, v, &fieldPath{key: path, index: -1})
}

// typeFacts are what the walker asks of a type for every value of it,
// answered once per type: reflect's Implements was a twentieth of a load.
type typeFacts struct {
	unmarshaler bool // *T implements yaml.Unmarshaler
	// plainString: a string kind with no methods at all (so no
	// unmarshaler of any kind): a !!str scalar decodes to its Value.
	plainString bool
}

var facts sync.Map // reflect.Type -> typeFacts; types are finite

func factsOf(t reflect.Type) typeFacts {
	if f, ok := facts.Load(t); ok {
		return f.(typeFacts)
	}
	pt := reflect.PointerTo(t)
	f := typeFacts{
		unmarshaler: pt.Implements(unmarshalerType),
		plainString: t.Kind() == reflect.String && pt.NumMethod() == 0,
	}
	facts.Store(t, f)
	return f
}

func decodeAt(n *yaml.Node, v reflect.Value, path *fieldPath) []fieldError {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	f := factsOf(v.Type())
	if v.CanAddr() && f.unmarshaler {
		if err := n.Decode(v.Addr().Interface()); err != nil {
			return []fieldError{{n, path.prefix() + cleanYAMLError(err)}}
		}
		return nil
	}
	if f.plainString && n.Kind == yaml.ScalarNode && n.Tag == "!!str" && v.CanSet() {
		// What Node.Decode does with a string scalar, without the
		// decoder it makes per call (a fifth of a load's garbage).
		v.SetString(n.Value)
		return nil
	}
	switch v.Type() {
	case durationType:
		return decodeDuration(n, v, path)
	case nodeType: // kept as written, decoded later by its owner
		v.Set(reflect.ValueOf(n).Elem())
		return nil
	}
	switch v.Kind() {
	case reflect.Pointer:
		if n.Tag == "!!null" {
			return nil
		}
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		return decodeAt(n, v.Elem(), path)
	case reflect.Struct:
		return decodeStruct(n, v, path)
	case reflect.Map:
		return decodeMap(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			if n.Tag == "!!null" {
				return nil
			}
			return []fieldError{{n, path.prefix() + "expected a list, got " + describe(n)}}
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		var errs []fieldError
		for i, c := range n.Content {
			if d, ok := s.Index(i).Addr().Interface().(checks.Defaulter); ok {
				d.Defaults()
			}
			errs = append(errs, decodeAt(c, s.Index(i), &fieldPath{parent: path, index: i})...)
		}
		v.Set(s)
		return errs
	case reflect.Interface:
		var x any
		if err := n.Decode(&x); err != nil {
			return []fieldError{{n, path.prefix() + cleanYAMLError(err)}}
		}
		if nonFinite(x) {
			return []fieldError{{n, path.prefix() + "NaN and infinity are not numbers readyctl accepts"}}
		}
		if x != nil {
			v.Set(reflect.ValueOf(x))
		}
		return nil
	default:
		if n.Kind != yaml.ScalarNode {
			return []fieldError{{n, fmt.Sprintf("%sexpected %s, got %s", path.prefix(), typeName(v.Type()), describe(n))}}
		}
		if isInt(v.Kind()) && n.ShortTag() == "!!float" {
			// yaml.v3 truncates 1.9 to 1: a retry count is never a guess.
			return []fieldError{{n, fmt.Sprintf("%sexpected %s, got %q", path.prefix(), typeName(v.Type()), n.Value)}}
		}
		if err := n.Decode(v.Addr().Interface()); err != nil {
			return []fieldError{{n, fmt.Sprintf("%sexpected %s, got %q", path.prefix(), typeName(v.Type()), n.Value)}}
		}
		if (v.Kind() == reflect.Float64 || v.Kind() == reflect.Float32) && !finite(v.Float()) {
			return []fieldError{{n, fmt.Sprintf("%sexpected a finite number, got %q", path.prefix(), n.Value)}}
		}
		return nil
	}
}

func isInt(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return true
	}
	return false
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// nonFinite finds a NaN or infinity anywhere in a decoded free-form value.
func nonFinite(x any) bool {
	switch x := x.(type) {
	case float64:
		return !finite(x)
	case []any:
		for _, e := range x {
			if nonFinite(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if nonFinite(e) {
				return true
			}
		}
	case map[any]any:
		for _, e := range x {
			if nonFinite(e) {
				return true
			}
		}
	}
	return false
}

func decodeDuration(n *yaml.Node, v reflect.Value, path *fieldPath) []fieldError {
	if n.Kind != yaml.ScalarNode {
		return []fieldError{{n, path.prefix() + "expected a duration such as 500ms, 10s or 2m, got " + describe(n)}}
	}
	d, err := time.ParseDuration(n.Value)
	if err == nil && d < 0 {
		return []fieldError{{n, fmt.Sprintf("%snegative duration %q: must be 0 or more", path.prefix(), n.Value)}}
	}
	if err != nil {
		if n.Value == "0" {
			v.SetInt(0)
			return nil
		}
		return []fieldError{{n, fmt.Sprintf("%sbad duration %q: expected a number with a unit, such as 500ms, 10s or 2m", path.prefix(), n.Value)}}
	}
	v.SetInt(int64(d))
	return nil
}

func decodeStruct(n *yaml.Node, v reflect.Value, path *fieldPath) []fieldError {
	return decodeFields(n, v, path, nil)
}

// decodeFields is decodeStruct over the keys of n that skip, if given,
// does not claim: the loader decodes an item's common fields and its
// kind's fields from the item's own mappings, without building a
// mapping of the other keys for each item.
func decodeFields(n *yaml.Node, v reflect.Value, path *fieldPath, skip func(key string) bool) []fieldError {
	if n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return []fieldError{{n, path.prefix() + "expected a mapping of fields, got " + describe(n)}}
	}
	prepareStruct(v)
	var errs []fieldError
	var seen firstKeys
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if skip != nil && skip(k.Value) {
			continue
		}
		if prev := seen.first(n, i, k.Value, skip); prev != nil {
			errs = append(errs, fieldError{k, fmt.Sprintf("%sfield %q given twice (first on line %d)", path.prefix(), k.Value, prev.Line)})
			continue
		}
		f, ok := structField(v, k.Value)
		if !ok {
			msg := fmt.Sprintf("%sunknown field %q", path.prefix(), k.Value)
			if s := Suggest(k.Value, FieldNames(v.Type())); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			errs = append(errs, fieldError{k, msg})
			continue
		}
		errs = append(errs, decodeAt(val, f, &fieldPath{parent: path, key: k.Value, index: -1})...)
	}
	return errs
}

// firstKeys finds the first earlier key of a mapping with the same name.
// A block has a handful of fields: looking back through them is cheaper
// than a map per block; a mapping with many keys gets the map.
type firstKeys struct {
	byName map[string]*yaml.Node
}

// smallMapping is how many keys are looked back through before a map
// pays for itself.
const smallMapping = 16

// first returns the first key before Content[i] of mapping n named name
// (among the keys skip does not claim), or nil; it records Content[i]
// as that name's first key when none came before.
func (s *firstKeys) first(n *yaml.Node, i int, name string, skip func(string) bool) *yaml.Node {
	if len(n.Content) <= 2*smallMapping {
		for j := 0; j < i; j += 2 {
			if k := n.Content[j]; k.Value == name && (skip == nil || !skip(k.Value)) {
				return k
			}
		}
		return nil
	}
	if s.byName == nil {
		s.byName = make(map[string]*yaml.Node, len(n.Content)/2)
	}
	if prev, dup := s.byName[name]; dup {
		return prev
	}
	s.byName[name] = n.Content[i]
	return nil
}

func decodeMap(n *yaml.Node, v reflect.Value, path *fieldPath) []fieldError {
	if n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return []fieldError{{n, path.prefix() + "expected a mapping, got " + describe(n)}}
	}
	if v.IsNil() {
		v.Set(reflect.MakeMapWithSize(v.Type(), len(n.Content)/2))
	}
	var errs []fieldError
	seen := make(map[string]*yaml.Node, len(n.Content)/2)
	kt, et := v.Type().Key(), v.Type().Elem()
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn := n.Content[i]
		if kn.Kind == yaml.AliasNode && kn.Alias != nil {
			kn = kn.Alias
		}
		if prev, dup := seen[kn.Value]; dup && kn.Kind == yaml.ScalarNode {
			// yaml.v3 lets the last one win silently; the first one is
			// just as likely to be the one meant.
			errs = append(errs, fieldError{n.Content[i], fmt.Sprintf("%skey %q given twice (first on line %d)", path.prefix(), kn.Value, prev.Line)})
			continue
		}
		seen[kn.Value] = n.Content[i]
		k := reflect.New(kt).Elem()
		errs = append(errs, decodeAt(n.Content[i], k, path)...)
		e := reflect.New(et).Elem()
		errs = append(errs, decodeAt(n.Content[i+1], e, &fieldPath{parent: path, key: n.Content[i].Value, index: -1})...)
		v.SetMapIndex(k, e)
	}
	return errs
}

func typeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	}
	return t.String()
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return strconv.Quote(n.Value)
	}
	return "something else"
}

func prefix(path string) string {
	if path == "" {
		return ""
	}
	return path + ": "
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// cleanYAMLError strips yaml.v3's "yaml: unmarshal errors:\n  line N:"
// decoration; the caller adds its own position.
func cleanYAMLError(err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "yaml: unmarshal errors:\n")
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "line ") {
		if i := strings.Index(s, ": "); i > 0 {
			s = s[i+2:]
		}
	}
	return strings.TrimPrefix(s, "yaml: ")
}

// DecodeBlock decodes a probe block given as YAML text into p exactly as
// the loader decodes an item's block (strictly, onto p's defaults). It does
// not call Validate. Tests of probe kinds use it so they configure probes
// the way a checklist does.
func DecodeBlock(src string, p any) error {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		return err
	}
	if len(doc.Content) == 0 {
		return nil // an empty block keeps the defaults
	}
	if err := CheckNodes(&doc, maxNodes); err != nil {
		return err
	}
	errs := decodeStrict(doc.Content[0], reflect.ValueOf(p).Elem(), "")
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = fmt.Sprintf("%d:%d: %s", e.node.Line, e.node.Column, e.msg)
	}
	return fmt.Errorf("%s", strings.Join(msgs, "; "))
}
