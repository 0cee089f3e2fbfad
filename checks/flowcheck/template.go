package flowcheck

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"sync"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/checks/httpcheck"
)

// fill replaces, in p, the run-time references of every string that may
// hold them: url, header values, body, bearer_token, basic_auth and the
// strings of the JSON body. In the JSON body a string that is exactly one
// reference takes the captured value as it is (a number stays a number).
// p must be a clone: its maps are rewritten.
func fill(p *httpcheck.Probe, lookup func(name string) (string, error), raw func(name string) (any, bool)) error {
	var firstErr error
	sub := func(s string) string {
		out, err := checks.ExpandReferences(s, lookup)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return out
	}
	p.URL = sub(p.URL)
	p.Body = sub(p.Body)
	p.BearerToken = sub(p.BearerToken)
	for k, v := range p.Headers {
		p.Headers[k] = sub(v)
	}
	if p.BasicAuth != nil {
		p.BasicAuth.Username = sub(p.BasicAuth.Username)
		p.BasicAuth.Password = sub(p.BasicAuth.Password)
	}
	if p.JSON != nil {
		p.JSON = walkJSON(p.JSON, func(s string) any {
			if refs := checks.References(s); len(refs) == 1 && s == "${"+refs[0]+"}" && raw != nil {
				if v, ok := raw(refs[0]); ok {
					return v
				}
			}
			return sub(s)
		})
	}
	return firstErr
}

// uses lists, per field of p that may hold run-time references, the
// names it refers to.
func uses(p *httpcheck.Probe) map[string][]string {
	out := map[string][]string{}
	add := func(field, s string) {
		if refs := checks.References(s); len(refs) > 0 {
			out[field] = append(out[field], refs...)
		}
	}
	add("url", p.URL)
	add("body", p.Body)
	add("bearer_token", p.BearerToken)
	for _, v := range p.Headers {
		add("headers", v)
	}
	if p.BasicAuth != nil {
		add("basic_auth", p.BasicAuth.Username+p.BasicAuth.Password)
	}
	walkJSON(p.JSON, func(s string) any { add("json", s); return s })
	return out
}

// walkJSON returns a copy of v with every string s replaced by f(s).
func walkJSON(v any, f func(string) any) any {
	switch x := v.(type) {
	case string:
		return f(x)
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = walkJSON(e, f)
		}
		return m
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = walkJSON(e, f)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = walkJSON(e, f)
		}
		return l
	}
	return v
}

// runID is the same for every flow of one readyctl process: a run.
var runID = sync.OnceValue(func() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
})

// newUUID is a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// text is a captured value as it goes into a URL, header or body.
func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case int, int64, bool:
		return fmt.Sprint(x)
	case nil:
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
