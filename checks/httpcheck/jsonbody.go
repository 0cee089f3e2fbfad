package httpcheck

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// maxJSONDepth is the deepest nesting parsed into the json observation,
// encoding/json's own limit, so a body parses the same whatever its size;
// a deeper body is observed as text only.
const maxJSONDepth = 10000

// smallJSON is the size up to which a body is parsed by json.Unmarshal in
// one go (a few milliseconds); a larger one (max_body_bytes raised) is
// parsed token by token with looks at the deadline.
const smallJSON = 1 << 20

// afterRead is a test hook, called once the main body is read.
var afterRead = func() {}

// parseJSON parses body for the json observation: errNotJSON when it is
// not one JSON value, ctx's error when the deadline passed first.
func parseJSON(ctx context.Context, body []byte) (any, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("parsing the JSON body: %w", err)
	}
	if len(body) <= smallJSON {
		var v any
		if len(body) == 0 || json.Unmarshal(body, &v) != nil {
			return nil, errNotJSON
		}
		return v, nil
	}
	return decodeJSON(ctx, body)
}

func fmtBytes(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// ctxCheckEvery is how many tokens the decoder reads between looks at
// the deadline: rare enough to cost nothing, often enough (well under a
// millisecond of work) that a deadline is honoured at once.
const ctxCheckEvery = 4096

// errNotJSON means the body is not one JSON value (or nests too deep):
// the json observation is then null, as before.
var errNotJSON = errors.New("not JSON")

// decodeJSON parses body as json.Unmarshal would into an any, but looks
// at ctx while it works, so that parsing a large body ends with the
// attempt's deadline instead of long after it. It returns errNotJSON for
// anything json.Unmarshal refuses, and ctx's error when the deadline came
// first. (json.Decoder.Token also allows this, but is ten times slower.)
func decodeJSON(ctx context.Context, body []byte) (any, error) {
	d := &jsonParser{ctx: ctx, b: body}
	d.space()
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	d.space()
	if d.i != len(d.b) {
		return nil, errNotJSON // trailing data
	}
	return v, nil
}

// jsonParser is a recursive-descent parser over the whole body. Strings
// with escapes or bytes that are not UTF-8 are handed to json.Unmarshal,
// so their decoding (U+FFFD for bad bytes and lone surrogates) is
// encoding/json's.
type jsonParser struct {
	ctx    context.Context
	b      []byte
	i      int
	values int
}

func (d *jsonParser) space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *jsonParser) value(depth int) (any, error) {
	d.values++
	if d.values%ctxCheckEvery == 0 {
		if err := d.ctx.Err(); err != nil {
			return nil, fmt.Errorf("parsing the JSON body: %w", err)
		}
	}
	if d.i >= len(d.b) {
		return nil, errNotJSON
	}
	switch c := d.b[d.i]; {
	case c == '{':
		return d.object(depth + 1)
	case c == '[':
		return d.array(depth + 1)
	case c == '"':
		return d.str()
	case c == 't':
		return d.literal("true", true)
	case c == 'f':
		return d.literal("false", false)
	case c == 'n':
		return d.literal("null", nil)
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	}
	return nil, errNotJSON
}

func (d *jsonParser) literal(word string, v any) (any, error) {
	if !bytes.HasPrefix(d.b[d.i:], []byte(word)) {
		return nil, errNotJSON
	}
	d.i += len(word)
	return v, nil
}

func (d *jsonParser) object(depth int) (any, error) {
	obj := map[string]any{}
	err := d.members(depth, '}', func() error {
		if d.i >= len(d.b) || d.b[d.i] != '"' {
			return errNotJSON
		}
		k, err := d.str()
		if err != nil {
			return err
		}
		d.space()
		if d.i >= len(d.b) || d.b[d.i] != ':' {
			return errNotJSON
		}
		d.i++
		d.space()
		v, err := d.value(depth)
		obj[k.(string)] = v
		return err
	})
	if err != nil {
		return nil, err
	}
	return obj, nil
}

func (d *jsonParser) array(depth int) (any, error) {
	list := []any{}
	err := d.members(depth, ']', func() error {
		v, err := d.value(depth)
		list = append(list, v)
		return err
	})
	if err != nil {
		return nil, err
	}
	return list, nil
}

// members reads the comma-separated members of the object or array that
// starts at d.i and ends with end, calling member at the start of each.
func (d *jsonParser) members(depth int, end byte, member func() error) error {
	if depth > maxJSONDepth {
		return errNotJSON
	}
	d.i++ // { or [
	d.space()
	if d.i < len(d.b) && d.b[d.i] == end {
		d.i++
		return nil
	}
	for {
		d.space()
		if err := member(); err != nil {
			return err
		}
		d.space()
		if d.i >= len(d.b) {
			return errNotJSON
		}
		switch d.b[d.i] {
		case ',':
			d.i++
		case end:
			d.i++
			return nil
		default:
			return errNotJSON
		}
	}
}

func (d *jsonParser) str() (any, error) {
	start := d.i
	d.i++ // "
	simple := true
	for {
		if d.i >= len(d.b) {
			return nil, errNotJSON
		}
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			raw := d.b[start:d.i]
			if simple {
				return string(raw[1 : len(raw)-1]), nil
			}
			var s string
			if json.Unmarshal(raw, &s) != nil {
				return nil, errNotJSON
			}
			return s, nil
		case c == '\\':
			simple = false
			d.i += 2
		case c < 0x20:
			return nil, errNotJSON
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(d.b[d.i:])
			if r == utf8.RuneError && size == 1 {
				simple = false
			}
			d.i += size
		default:
			d.i++
		}
	}
}

func (d *jsonParser) number() (any, error) {
	start := d.i
	if d.b[d.i] == '-' {
		d.i++
	}
	switch {
	case d.i < len(d.b) && d.b[d.i] == '0':
		d.i++
	case d.i < len(d.b) && d.b[d.i] >= '1' && d.b[d.i] <= '9':
		d.digits()
	default:
		return nil, errNotJSON
	}
	if d.i < len(d.b) && d.b[d.i] == '.' {
		d.i++
		if !d.digits() {
			return nil, errNotJSON
		}
	}
	if d.i < len(d.b) && (d.b[d.i] == 'e' || d.b[d.i] == 'E') {
		d.i++
		if d.i < len(d.b) && (d.b[d.i] == '+' || d.b[d.i] == '-') {
			d.i++
		}
		if !d.digits() {
			return nil, errNotJSON
		}
	}
	f, err := strconv.ParseFloat(string(d.b[start:d.i]), 64)
	if err != nil {
		return nil, errNotJSON // out of float64's range, as json.Unmarshal refuses it
	}
	return f, nil
}

func (d *jsonParser) digits() bool {
	start := d.i
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		d.i++
	}
	return d.i > start
}
