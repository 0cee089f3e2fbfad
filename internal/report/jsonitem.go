package report

import (
	"bytes"
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// itemEncoder writes one report item as the JSON renderer's stream has it:
// the bytes encoding/json writes for the item (SetEscapeHTML(false)),
// indented by json.Indent with the prefix "    " and the indent "  ",
// with the observations made plain (PlainObservations) on the way.
//
// encoding/json spends most of a large report on reflection, on the
// compact text it indents afterwards and on the plain copy of every
// observation map (issue 16); the values a probe observes are strings,
// numbers, booleans, durations, times, lists and maps of them, written
// here directly. Anything else (a signoff, changes, a value of another
// type) goes through encoding/json and json.Indent at its depth, so that
// the output is the same byte for byte.
type itemEncoder struct {
	buf      []byte
	compact  bytes.Buffer
	indented bytes.Buffer
	enc      *json.Encoder
	keys     [][]string // plainMap's, by depth
}

func newItemEncoder() *itemEncoder {
	e := &itemEncoder{}
	e.enc = json.NewEncoder(&e.compact)
	e.enc.SetEscapeHTML(false)
	return e
}

// The item's own braces are at the stream's prefix; its fields one
// indent deeper.
const (
	itemPrefix = "    "
	itemIndent = "  "
)

// encode returns the item's text; it is valid until the next call.
func (e *itemEncoder) encode(it *Item) ([]byte, error) {
	b := e.buf[:0]
	b = append(b, '{')
	b = field(b, "id", 1)
	b = appendJSONString(b, it.ID)
	b = field(b, ",section", 1)
	b = appendJSONString(b, it.Section)
	b = field(b, ",title", 1)
	b = appendJSONString(b, it.Title)
	b = field(b, ",kind", 1)
	b = appendJSONString(b, it.Kind)
	b = field(b, ",severity", 1)
	b = appendJSONString(b, it.Severity)
	b = field(b, ",status", 1)
	b = appendJSONString(b, string(it.Status))
	b = field(b, ",reason", 1)
	b = appendJSONString(b, it.Reason)
	b = field(b, ",message", 1)
	b = appendJSONString(b, it.Message)
	b = field(b, ",duration_ms", 1)
	b = strconv.AppendInt(b, it.DurationMS, 10)
	b = field(b, ",attempts", 1)
	b = strconv.AppendInt(b, int64(it.Attempts), 10)
	b = field(b, ",observations", 1)
	var err error
	if it.Observations == nil {
		b = append(b, "{}"...) // PlainObservations(nil)
	} else if b, err = e.plainMap(b, it.Observations, 1); err != nil {
		return nil, err
	}
	if it.Signoff != nil {
		b = field(b, ",signoff", 1)
		if b, err = e.other(b, it.Signoff, 1); err != nil {
			return nil, err
		}
	}
	if it.FirstPassMS != 0 {
		b = field(b, ",first_pass_ms", 1)
		b = strconv.AppendInt(b, it.FirstPassMS, 10)
	}
	if len(it.Changes) > 0 {
		b = field(b, ",changes", 1)
		if b, err = e.other(b, it.Changes, 1); err != nil {
			return nil, err
		}
	}
	b = newline(b, 0)
	b = append(b, '}')
	e.buf = b
	return b, nil
}

// newline starts a line at depth (the item's braces are at 0).
func newline(b []byte, depth int) []byte {
	b = append(b, '\n')
	b = append(b, itemPrefix...)
	for range depth {
		b = append(b, itemIndent...)
	}
	return b
}

// field writes `,` (when name starts with one), a new line at depth and
// `"name": `; the names here need no escaping.
func field(b []byte, name string, depth int) []byte {
	if strings.HasPrefix(name, ",") {
		b = append(b, ',')
		name = name[1:]
	}
	b = newline(b, depth)
	b = append(b, '"')
	b = append(b, name...)
	return append(b, `": `...)
}

// plainValue writes plain(v) at depth (its own line already started).
func (e *itemEncoder) plainValue(b []byte, v any, depth int) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendJSONString(b, x), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case time.Duration:
		return appendJSONString(b, x.String()), nil
	case time.Time:
		return appendJSONString(b, x.UTC().Format(time.RFC3339)), nil
	case float64:
		return appendPlainFloat(b, x), nil
	case float32:
		return appendPlainFloat(b, float64(x)), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case int32:
		return strconv.AppendInt(b, int64(x), 10), nil
	case uint64:
		return strconv.AppendUint(b, x, 10), nil
	case uint32:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case []any:
		// plain makes a list of the same length: never null.
		if len(x) == 0 {
			return append(b, "[]"...), nil
		}
		b = append(b, '[')
		var err error
		for i, el := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = newline(b, depth+1)
			if b, err = e.plainValue(b, el, depth+1); err != nil {
				return nil, err
			}
		}
		b = newline(b, depth)
		return append(b, ']'), nil
	case map[string]any:
		return e.plainMap(b, x, depth)
	}
	return e.other(b, v, depth)
}

// plainMap writes plain(m), keys sorted as encoding/json sorts them
// (plain makes a map of a nil one: never null).
func (e *itemEncoder) plainMap(b []byte, m map[string]any, depth int) ([]byte, error) {
	if len(m) == 0 {
		return append(b, "{}"...), nil
	}
	// One slice of keys per depth, reused from item to item.
	for len(e.keys) <= depth {
		e.keys = append(e.keys, nil)
	}
	keys := e.keys[depth][:0]
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	e.keys[depth] = keys
	b = append(b, '{')
	var err error
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = newline(b, depth+1)
		b = appendJSONString(b, k)
		b = append(b, ": "...)
		if b, err = e.plainValue(b, m[k], depth+1); err != nil {
			return nil, err
		}
	}
	b = newline(b, depth)
	return append(b, '}'), nil
}

// other writes v as encoding/json does, indented at depth.
func (e *itemEncoder) other(b []byte, v any, depth int) ([]byte, error) {
	e.compact.Reset()
	if err := e.enc.Encode(v); err != nil {
		return nil, err
	}
	e.indented.Reset()
	prefix := itemPrefix + strings.Repeat(itemIndent, depth)
	if err := json.Indent(&e.indented, bytes.TrimSuffix(e.compact.Bytes(), []byte("\n")), prefix, itemIndent); err != nil {
		return nil, err
	}
	return append(b, e.indented.Bytes()...), nil
}

// appendPlainFloat writes plain(f): NaN and infinities as strings, other
// numbers as encoding/json writes a float64.
func appendPlainFloat(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(b, `"+Inf"`...)
	case math.IsInf(f, -1):
		return append(b, `"-Inf"`...)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 is written e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendJSONString writes s as encoding/json writes a string without
// HTML escaping: control characters, quotes and backslashes escaped,
// invalid UTF-8 as \ufffd, U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
