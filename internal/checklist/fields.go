package checklist

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/readyctl/readyctl/checks"
)

// The one walker over YAML struct tags: the strict decoder finds fields
// with it, and `readyctl probes` documents them with it (Fields), so the
// two cannot disagree on names, inlining or nesting.

// FieldInfo describes one YAML field of a struct, as the loader decodes it.
type FieldInfo struct {
	Name    string // the YAML key
	Path    string // dotted from the top ("tls.ca_file")
	Type    string // "duration", "int", "list of string", "block", ...
	Default string // the field's value in the struct walked, "" when zero
	Doc     string // the field's `doc` tag
	// Block is a nested mapping of fields; they follow it, with Path
	// prefixed by this field's.
	Block bool
	// GoType is the field's Go type, for generators that need more than
	// Type's words (readyctl schema).
	GoType reflect.Type
	// Enum lists the only values the field (or each element of a list
	// field) accepts, from the kind's checks.Enumerated; nil when any
	// value of its type goes.
	Enum []string
}

// Fields lists the YAML fields of v (a struct or pointer to one) in
// declaration order, inline embedding flattened and nested blocks
// descended into, with v's values as defaults.
func Fields(v any) []FieldInfo {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			rv = reflect.New(rv.Type().Elem())
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return nil
	}
	var out []FieldInfo
	fieldInfos(rv, "", &out)
	if e, ok := v.(checks.Enumerated); ok {
		enums := e.Enums()
		for i := range out {
			out[i].Enum = enums[out[i].Path]
		}
	}
	return out
}

func fieldInfos(v reflect.Value, prefix string, out *[]FieldInfo) {
	eachField(v, false, func(name string, sf reflect.StructField, fv reflect.Value) {
		elem := sf.Type
		if elem.Kind() == reflect.Pointer {
			elem = elem.Elem()
		}
		if isBlock(elem) {
			*out = append(*out, FieldInfo{Name: name, Path: prefix + name, Type: "block", Doc: sf.Tag.Get("doc"), Block: true, GoType: sf.Type})
			nested := reflect.New(elem).Elem()
			if fv.Kind() == reflect.Pointer && !fv.IsNil() {
				nested = fv.Elem()
			} else if fv.Kind() == reflect.Struct {
				nested = fv
			}
			fieldInfos(nested, prefix+name+".", out)
			return
		}
		*out = append(*out, FieldInfo{Name: name, Path: prefix + name, Type: fieldTypeName(sf.Type), Default: defaultOf(fv), Doc: sf.Tag.Get("doc"), GoType: sf.Type})
		if elem.Kind() == reflect.Slice && isBlock(elem.Elem()) {
			// A list of blocks (a flow's steps): each element's fields
			// follow as NAME[].FIELD, with the element type's defaults.
			nested := reflect.New(elem.Elem())
			if d, ok := nested.Interface().(checks.Defaulter); ok {
				d.Defaults()
			}
			fieldInfos(nested.Elem(), prefix+name+"[].", out)
		}
	})
}

// isBlock: a struct decoded field by field (not a scalar type with its
// own UnmarshalYAML, not a time).
func isBlock(t reflect.Type) bool {
	return t.Kind() == reflect.Struct && t != nodeType && !reflect.PointerTo(t).Implements(unmarshalerType) && t != reflect.TypeOf(time.Time{})
}

// eachField calls fn for every YAML field of struct value v in
// declaration order, following `yaml:",inline"` embedding. With alloc, a
// nil inline pointer is allocated (v must be settable) so the field can
// be decoded into; without, a zero value stands in for it.
func eachField(v reflect.Value, alloc bool, fn func(name string, sf reflect.StructField, fv reflect.Value)) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name, inline := yamlName(sf)
		if name == "-" {
			continue
		}
		fv := v.Field(i)
		if !inline {
			fn(name, sf, fv)
			continue
		}
		if fv.Kind() == reflect.Pointer {
			switch {
			case !fv.IsNil():
			case alloc:
				fv.Set(reflect.New(fv.Type().Elem()))
			default:
				fv = reflect.New(fv.Type().Elem())
			}
			fv = fv.Elem()
		}
		eachField(fv, alloc, fn)
	}
}

// fieldLayout is where each YAML field of a struct type lives: its index
// path through inline embedding, as eachField walks it (a later field of
// the same name wins). It is computed once per type: the strict decoder
// looks fields up in every block of every item, and walking the tags
// each time cost a map and a tag split per field (a third of what loading
// 10,000 items allocated, issue 16).
type fieldLayout struct {
	paths map[string][]int
	// inlinePtr: some inline field is a pointer, which eachField with
	// alloc allocates before the block is decoded.
	inlinePtr bool
}

var layouts sync.Map // reflect.Type -> *fieldLayout; types are finite

func layoutOf(t reflect.Type) *fieldLayout {
	if l, ok := layouts.Load(t); ok {
		return l.(*fieldLayout)
	}
	l := &fieldLayout{paths: map[string][]int{}}
	var walk func(t reflect.Type, prefix []int)
	walk = func(t reflect.Type, prefix []int) {
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			if !sf.IsExported() {
				continue
			}
			name, inline := yamlName(sf)
			if name == "-" {
				continue
			}
			path := append(slices.Clone(prefix), i)
			if !inline {
				l.paths[name] = path
				continue
			}
			ft := sf.Type
			if ft.Kind() == reflect.Pointer {
				l.inlinePtr = true
				ft = ft.Elem()
			}
			walk(ft, path)
		}
	}
	walk(t, nil)
	actual, _ := layouts.LoadOrStore(t, l)
	return actual.(*fieldLayout)
}

// structField is the settable field of struct value v that the YAML key
// name decodes into. Call prepareStruct on v first.
func structField(v reflect.Value, name string) (reflect.Value, bool) {
	path, ok := layoutOf(v.Type()).paths[name]
	if !ok {
		return reflect.Value{}, false
	}
	for _, i := range path[:len(path)-1] {
		v = v.Field(i)
		if v.Kind() == reflect.Pointer {
			v = v.Elem()
		}
	}
	return v.Field(path[len(path)-1]), true
}

// prepareStruct allocates v's nil inline pointers, so that every field
// structField finds is settable.
func prepareStruct(v reflect.Value) {
	if layoutOf(v.Type()).inlinePtr {
		eachField(v, true, func(string, reflect.StructField, reflect.Value) {})
	}
}

// FieldNames lists the YAML field names of a struct type (or pointer to
// one), in declaration order, following inline embedding.
func FieldNames(t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var names []string
	eachField(reflect.New(t).Elem(), false, func(name string, _ reflect.StructField, _ reflect.Value) { names = append(names, name) })
	return names
}

func yamlName(sf reflect.StructField) (name string, inline bool) {
	tag := sf.Tag.Get("yaml")
	parts := strings.Split(tag, ",")
	for _, p := range parts[1:] {
		if p == "inline" {
			inline = true
		}
	}
	name = parts[0]
	if name == "" {
		name = strings.ToLower(sf.Name)
	}
	return name, inline
}

// fieldTypeName names a field's type for documentation.
func fieldTypeName(t reflect.Type) string {
	if t == durationType {
		return "duration"
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return strings.ToLower(t.Name())
	}
	switch t.Kind() {
	case reflect.Pointer:
		return fieldTypeName(t.Elem())
	case reflect.Slice:
		return "list of " + fieldTypeName(t.Elem())
	case reflect.Map:
		return "map of " + fieldTypeName(t.Elem())
	case reflect.Interface:
		return "any"
	case reflect.Struct:
		return "block"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "int"
	case reflect.Float64, reflect.Float32:
		return "number"
	}
	return t.Kind().String()
}

func defaultOf(v reflect.Value) string {
	if !v.IsValid() || v.IsZero() {
		return ""
	}
	if v.Type() == durationType {
		return time.Duration(v.Int()).String()
	}
	switch v.Kind() {
	case reflect.String:
		return fmt.Sprintf("%q", v.String())
	case reflect.Pointer:
		return defaultOf(v.Elem())
	case reflect.Slice:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = fmt.Sprint(v.Index(i).Interface())
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(v.Interface())
}
