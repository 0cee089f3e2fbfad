// Package schema generates the JSON Schema (draft 2020-12) of the checklist
// format from the definitions the loader decodes into: the top-level,
// section and item shapes of internal/checklist and every registered probe
// kind's configuration, all walked with checklist.Fields. Editors use it to
// complete and check fields; it is never the judge of a checklist (the
// loader is), so where it cannot say as much as the loader it accepts
// rather than refuses. It does no I/O.
package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/checklist"
)

// Draft is the JSON Schema dialect of the generated document.
const Draft = "https://json-schema.org/draft/2020-12/schema"

// Describer is implemented by a configuration type that decodes itself
// (yaml.Unmarshaler) and can say what it accepts as a JSON Schema, such as
// an HTTP status given as a code, a class or a list. A type that decodes
// itself without it is described as "anything": the loader judges it.
type Describer interface {
	JSONSchema() map[string]any
}

// Pattern of a Go duration as time.ParseDuration reads it (negative ones
// are refused by the loader, so no sign).
const durationPattern = `^\+?(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+$`

// interpPattern matches a scalar holding a ${...} reference: inside items
// every scalar is interpolated before it is decoded, so a duration or an
// enumerated value may be written as "${var}". (Numbers and booleans may
// not: the interpolated scalar stays a YAML string, which the loader
// refuses for them.)
const interpPattern = `^.*\$\{.*\}.*$`

var (
	durationType  = reflect.TypeOf(time.Duration(0))
	nodeType      = reflect.TypeOf(yaml.Node{})
	timeType      = reflect.TypeOf(time.Time{})
	describerType = reflect.TypeOf((*Describer)(nil)).Elem()
	unmarshalType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()
)

// Generate returns the schema as a JSON-ready value.
func Generate() map[string]any {
	g := &gen{}
	kinds := checks.Names()
	defs := map[string]any{}

	for _, name := range kinds {
		k, _ := checks.Lookup(name)
		s := g.object(k.New(), true)
		s["properties"].(map[string]any)["expect"] = map[string]any{
			"type":        []any{"array", "null"},
			"items":       map[string]any{"type": "string"},
			"description": "boolean expressions (expr-lang) over the observations of " + name + "; all must hold",
		}
		s["description"] = k.Summary
		defs["kind."+name] = s
	}

	manual := g.object(checklist.ManualSpec(), true)
	manual["description"] = "an item only a person can confirm; it passes with a valid sign-off"
	defs["manual"] = map[string]any{
		"description": manual["description"],
		"anyOf":       []any{manual, map[string]any{"type": "null"}, map[string]any{"const": true}},
	}

	item := g.object(checklist.ItemSpec(), true)
	props := item["properties"].(map[string]any)
	props["id"] = anyOf(true, map[string]any{"type": "string", "pattern": checklist.IDPattern(), "description": "unique across the file"})
	oneOf := make([]any, 0, len(kinds)+1)
	for _, name := range append(kinds, "manual") {
		ref := "#/$defs/manual"
		if name != "manual" {
			ref = "#/$defs/kind." + name
		}
		props[name] = map[string]any{"$ref": ref}
		oneOf = append(oneOf, map[string]any{"required": []any{name}})
	}
	item["required"] = []any{"id"}
	// Exactly one kind key: with two, two branches match; with none, none.
	item["oneOf"] = oneOf
	item["description"] = "one check: exactly one probe-kind key (" + strings.Join(kinds, ", ") + ") or manual"
	bounded(props["retries"], 0, checklist.MaxRetries)
	document(item, "item", "")
	defs["item"] = item

	section := g.object(checklist.SectionSpec(), false)
	sp := section["properties"].(map[string]any)
	sp["id"] = map[string]any{"type": "string", "pattern": checklist.IDPattern()}
	sp["items"] = map[string]any{"type": "array", "items": map[string]any{"$ref": "#/$defs/item"}}
	bounded(sp["min_pass_rate"], 0, 1)
	section["required"] = []any{"id"}
	document(section, "section", "")
	defs["section"] = section

	signoff := g.object(checklist.SignoffSpec(), false)
	if roles, ok := signoff["properties"].(map[string]any)["roles"].(map[string]any); ok {
		if role, ok := roles["items"].(map[string]any); ok {
			role["properties"].(map[string]any)["id"] = map[string]any{"type": "string", "pattern": checklist.IDPattern()}
			role["required"] = []any{"id"}
		}
	}
	defs["signoff"] = signoff

	root := g.object(checklist.FileSpec(), false)
	rp := root["properties"].(map[string]any)
	rp["version"] = map[string]any{"const": checklist.SupportedVersion, "description": "the checklist format's version"}
	rp["sections"] = map[string]any{"type": "array", "items": map[string]any{"$ref": "#/$defs/section"}}
	rp["signoff"] = map[string]any{"$ref": "#/$defs/signoff"}
	if d, ok := rp["defaults"].(map[string]any); ok {
		bounded(d["properties"].(map[string]any)["retries"], 0, checklist.MaxRetries)
	}
	root["required"] = []any{"version"}
	root["$schema"] = Draft
	root["title"] = "readyctl checklist"
	root["description"] = "A readyctl checklist: what \"ready to deploy\" means. Generated by `readyctl schema`; the loader (`readyctl validate`) is the judge."
	root["$defs"] = defs
	document(root, "file", "")
	return root
}

// document sets the coreDocs[shape] descriptions of an object's
// properties (and its nested objects').
func document(obj map[string]any, shape, prefix string) {
	props, _ := obj["properties"].(map[string]any)
	for name, p := range props {
		ps, ok := p.(map[string]any)
		if !ok {
			continue
		}
		if d := coreDocs[shape][prefix+name]; d != "" {
			ps["description"] = d
		}
		if _, nested := ps["properties"]; nested {
			document(ps, shape, prefix+name+".")
		}
	}
}

// JSON is Generate, indented, ending in a newline: the committed
// schema/checklist.schema.json byte for byte.
func JSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(Generate()); err != nil {
		return nil, fmt.Errorf("encode schema: %w", err)
	}
	return buf.Bytes(), nil
}

type gen struct{}

// object describes a struct (pointer) the strict decoder fills: its
// fields from checklist.Fields, nothing else allowed. interp says the
// values are interpolated before decoding (items).
func (g *gen) object(v any, interp bool) map[string]any {
	fields := checklist.Fields(v)
	return g.fieldsObject(fields, "", interp)
}

// fieldsObject builds the object of the fields directly under prefix
// (Fields lists nested blocks' fields after the block, path-prefixed).
func (g *gen) fieldsObject(fields []checklist.FieldInfo, prefix string, interp bool) map[string]any {
	props := map[string]any{}
	for _, f := range fields {
		rest, ok := strings.CutPrefix(f.Path, prefix)
		if !ok || strings.Contains(rest, ".") {
			continue
		}
		var s map[string]any
		if f.Block {
			s = g.fieldsObject(fields, f.Path+".", interp)
		} else {
			s = g.typeSchema(f.GoType, interp)
			if len(f.Enum) > 0 {
				enum := anyOf(interp, map[string]any{"enum": toAny(f.Enum)})
				if f.GoType.Kind() == reflect.Slice {
					s = map[string]any{"type": "array", "items": enum}
				} else {
					s = enum
				}
			}
		}
		s = nullable(s)
		if d := describe(f); d != "" {
			s["description"] = d
		}
		props[f.Name] = s
	}
	return map[string]any{"type": "object", "properties": props, "additionalProperties": false}
}

func describe(f checklist.FieldInfo) string {
	d := f.Doc
	if f.Default != "" && !f.Block {
		if d != "" {
			d += " "
		}
		d += "(default " + f.Default + ")"
	}
	return d
}

// typeSchema describes a value of Go type t as the strict decoder reads it.
func (g *gen) typeSchema(t reflect.Type, interp bool) map[string]any {
	if t.Implements(describerType) {
		return reflect.Zero(t).Interface().(Describer).JSONSchema()
	}
	if reflect.PointerTo(t).Implements(describerType) {
		return reflect.New(t).Interface().(Describer).JSONSchema()
	}
	switch t {
	case durationType:
		return anyOf(interp, map[string]any{"type": "string", "pattern": durationPattern}, map[string]any{"const": 0})
	case checklist.SeverityType:
		sev := make([]any, 0, 3)
		for _, s := range checklist.Severities() {
			sev = append(sev, string(s))
		}
		return anyOf(interp, map[string]any{"enum": sev})
	case nodeType:
		return map[string]any{} // decoded later by its owner: anything here
	case timeType:
		return map[string]any{"type": "string"}
	}
	if reflect.PointerTo(t).Implements(unmarshalType) {
		return map[string]any{} // decodes itself; the loader judges it
	}
	switch t.Kind() {
	case reflect.Pointer:
		return g.typeSchema(t.Elem(), interp)
	case reflect.String:
		// yaml.v3 reads any scalar into a string: port: 5432 is "5432".
		return map[string]any{"type": []any{"string", "number", "boolean"}}
	// Numbers and booleans: a plain ${n} in an item reads as the number
	// or boolean it expands to. (A quoted "${n}" stays a string, which the
	// loader refuses; JSON cannot tell the two apart, so the schema takes
	// both and validate judges.)
	case reflect.Bool:
		return anyOf(interp, map[string]any{"type": "boolean"})
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return anyOf(interp, map[string]any{"type": "integer"})
	case reflect.Float32, reflect.Float64:
		return anyOf(interp, map[string]any{"type": "number"})
	case reflect.Slice:
		return map[string]any{"type": "array", "items": g.typeSchema(t.Elem(), interp)}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.typeSchema(t.Elem(), interp)}
	case reflect.Struct:
		return g.object(reflect.New(t).Interface(), interp)
	}
	return map[string]any{} // interface{}: any YAML value
}

// bounded adds minimum and maximum to an integer field's schema.
func bounded(field any, lo, hi int) {
	s, ok := field.(map[string]any)
	if !ok {
		return
	}
	s["minimum"], s["maximum"] = lo, hi
}

// nullable lets a field be written empty (`title:`): the strict decoder
// takes YAML null as "not set" for every field.
func nullable(s map[string]any) map[string]any {
	switch t := s["type"].(type) {
	case string:
		s["type"] = []any{t, "null"}
		return s
	case []any:
		s["type"] = append(t, "null")
		return s
	}
	if alts, ok := s["anyOf"].([]any); ok {
		s["anyOf"] = append(alts, map[string]any{"type": "null"})
		return s
	}
	if len(s) == 0 {
		return s // anything, null included
	}
	return map[string]any{"anyOf": []any{s, map[string]any{"type": "null"}}}
}

// anyOf is s, or with interp also a string holding a ${...} reference.
func anyOf(interp bool, s ...map[string]any) map[string]any {
	if interp {
		s = append(s, map[string]any{"type": "string", "pattern": interpPattern})
	}
	if len(s) == 1 {
		return s[0]
	}
	alts := make([]any, len(s))
	for i, x := range s {
		alts[i] = x
	}
	return map[string]any{"anyOf": alts}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
