package httpcheck

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// maxJSONDepth is the deepest nesting parsed into the json observation; a
// deeper body is observed as text only (encoding/json's own limit,
// 10,000, lets a hostile body cost far more than any real API needs).
const maxJSONDepth = 512

// ctxCheckEvery is how many tokens the decoder reads between looks at
// the deadline: rare enough to cost nothing, often enough (well under a
// millisecond of work) that a deadline is honoured at once.
const ctxCheckEvery = 4096

// errNotJSON means the body is not one JSON value (or nests too deep):
// the json observation is then null, as before.
var errNotJSON = errors.New("not JSON")

// decodeJSON parses body as encoding/json would into an any, but looks at
// ctx while it works, so that parsing a large body (max_body_bytes may be
// raised to hundreds of megabytes) ends with the attempt's deadline
// instead of long after it. It returns errNotJSON for anything that is
// not exactly one JSON value, and ctx's error when the deadline came
// first.
func decodeJSON(ctx context.Context, body []byte) (any, error) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 || bytes.IndexByte([]byte(`{["tfn-0123456789`), trimmed[0]) < 0 {
		return nil, errNotJSON
	}
	d := &jsonDecoder{ctx: ctx, dec: json.NewDecoder(bytes.NewReader(trimmed))}
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	if _, err := d.dec.Token(); err != io.EOF {
		return nil, errNotJSON // trailing data, as json.Unmarshal refuses it
	}
	return v, nil
}

type jsonDecoder struct {
	ctx    context.Context
	dec    *json.Decoder
	tokens int
}

func (d *jsonDecoder) token() (json.Token, error) {
	d.tokens++
	if d.tokens%ctxCheckEvery == 0 {
		if err := d.ctx.Err(); err != nil {
			return nil, fmt.Errorf("parsing the JSON body: %w", err)
		}
	}
	t, err := d.dec.Token()
	if err != nil {
		return nil, errNotJSON
	}
	return t, nil
}

func (d *jsonDecoder) value(depth int) (any, error) {
	t, err := d.token()
	if err != nil {
		return nil, err
	}
	delim, ok := t.(json.Delim)
	if !ok {
		return t, nil // string, float64, bool or nil, as json.Unmarshal gives
	}
	if depth >= maxJSONDepth {
		return nil, errNotJSON
	}
	switch delim {
	case '[':
		list := []any{}
		for d.dec.More() {
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		_, err := d.token() // ']'
		return list, err
	case '{':
		obj := map[string]any{}
		for d.dec.More() {
			k, err := d.token()
			if err != nil {
				return nil, err
			}
			key, _ := k.(string)
			v, err := d.value(depth + 1)
			if err != nil {
				return nil, err
			}
			obj[key] = v
		}
		_, err := d.token() // '}'
		return obj, err
	}
	return nil, errNotJSON
}
