package checklist

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
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

// decodeStrict decodes n into v like yaml.v3 with KnownFields(true), but it
// keeps going after the first problem and reports each one at the exact
// line and column of the node at fault. yaml.v3's Node.Decode has no strict
// mode and its type errors carry no column, hence this walker. It follows
// aliases, so its callers bound it first with CheckNodes (Parse and
// DecodeBlock do, on the whole document).
func decodeStrict(n *yaml.Node, v reflect.Value, path string) []fieldError {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if v.CanAddr() && v.Addr().Type().Implements(unmarshalerType) {
		if err := n.Decode(v.Addr().Interface()); err != nil {
			return []fieldError{{n, prefix(path) + cleanYAMLError(err)}}
		}
		return nil
	}
	switch v.Type() {
	case durationType:
		return decodeDuration(n, v, path)
	case nodeType: // kept as written, decoded later by its owner
		v.Set(reflect.ValueOf(*n))
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
		return decodeStrict(n, v.Elem(), path)
	case reflect.Struct:
		return decodeStruct(n, v, path)
	case reflect.Map:
		return decodeMap(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			if n.Tag == "!!null" {
				return nil
			}
			return []fieldError{{n, prefix(path) + "expected a list, got " + describe(n)}}
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		var errs []fieldError
		for i, c := range n.Content {
			if d, ok := s.Index(i).Addr().Interface().(checks.Defaulter); ok {
				d.Defaults()
			}
			errs = append(errs, decodeStrict(c, s.Index(i), fmt.Sprintf("%s[%d]", path, i))...)
		}
		v.Set(s)
		return errs
	case reflect.Interface:
		var x any
		if err := n.Decode(&x); err != nil {
			return []fieldError{{n, prefix(path) + cleanYAMLError(err)}}
		}
		if nonFinite(x) {
			return []fieldError{{n, prefix(path) + "NaN and infinity are not numbers readyctl accepts"}}
		}
		if x != nil {
			v.Set(reflect.ValueOf(x))
		}
		return nil
	default:
		if n.Kind != yaml.ScalarNode {
			return []fieldError{{n, fmt.Sprintf("%sexpected %s, got %s", prefix(path), typeName(v.Type()), describe(n))}}
		}
		if isInt(v.Kind()) && n.ShortTag() == "!!float" {
			// yaml.v3 truncates 1.9 to 1: a retry count is never a guess.
			return []fieldError{{n, fmt.Sprintf("%sexpected %s, got %q", prefix(path), typeName(v.Type()), n.Value)}}
		}
		if err := n.Decode(v.Addr().Interface()); err != nil {
			return []fieldError{{n, fmt.Sprintf("%sexpected %s, got %q", prefix(path), typeName(v.Type()), n.Value)}}
		}
		if (v.Kind() == reflect.Float64 || v.Kind() == reflect.Float32) && !finite(v.Float()) {
			return []fieldError{{n, fmt.Sprintf("%sexpected a finite number, got %q", prefix(path), n.Value)}}
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

func decodeDuration(n *yaml.Node, v reflect.Value, path string) []fieldError {
	if n.Kind != yaml.ScalarNode {
		return []fieldError{{n, prefix(path) + "expected a duration such as 500ms, 10s or 2m, got " + describe(n)}}
	}
	d, err := time.ParseDuration(n.Value)
	if err == nil && d < 0 {
		return []fieldError{{n, fmt.Sprintf("%snegative duration %q: must be 0 or more", prefix(path), n.Value)}}
	}
	if err != nil {
		if n.Value == "0" {
			v.SetInt(0)
			return nil
		}
		return []fieldError{{n, fmt.Sprintf("%sbad duration %q: expected a number with a unit, such as 500ms, 10s or 2m", prefix(path), n.Value)}}
	}
	v.SetInt(int64(d))
	return nil
}

func decodeStruct(n *yaml.Node, v reflect.Value, path string) []fieldError {
	if n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return []fieldError{{n, prefix(path) + "expected a mapping of fields, got " + describe(n)}}
	}
	prepareStruct(v)
	var errs []fieldError
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if prev, dup := seen[k.Value]; dup {
			errs = append(errs, fieldError{k, fmt.Sprintf("%sfield %q given twice (first on line %d)", prefix(path), k.Value, prev.Line)})
			continue
		}
		seen[k.Value] = k
		f, ok := structField(v, k.Value)
		if !ok {
			msg := fmt.Sprintf("%sunknown field %q", prefix(path), k.Value)
			if s := Suggest(k.Value, FieldNames(v.Type())); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			errs = append(errs, fieldError{k, msg})
			continue
		}
		errs = append(errs, decodeStrict(val, f, join(path, k.Value))...)
	}
	return errs
}

func decodeMap(n *yaml.Node, v reflect.Value, path string) []fieldError {
	if n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return []fieldError{{n, prefix(path) + "expected a mapping, got " + describe(n)}}
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	var errs []fieldError
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn := n.Content[i]
		if kn.Kind == yaml.AliasNode && kn.Alias != nil {
			kn = kn.Alias
		}
		if prev, dup := seen[kn.Value]; dup && kn.Kind == yaml.ScalarNode {
			// yaml.v3 lets the last one win silently; the first one is
			// just as likely to be the one meant.
			errs = append(errs, fieldError{n.Content[i], fmt.Sprintf("%skey %q given twice (first on line %d)", prefix(path), kn.Value, prev.Line)})
			continue
		}
		seen[kn.Value] = n.Content[i]
		k := reflect.New(v.Type().Key()).Elem()
		errs = append(errs, decodeStrict(n.Content[i], k, path)...)
		e := reflect.New(v.Type().Elem()).Elem()
		errs = append(errs, decodeStrict(n.Content[i+1], e, join(path, n.Content[i].Value))...)
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
