package checklist

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/readyctl/readyctl/internal/redact"
)

// Error is one problem in a checklist file, with the position a person
// needs to fix it: FILE:LINE:COL: item "ID": message.
type Error struct {
	File string
	Line int
	Col  int
	Item string // "" when the problem is outside any item
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Col)
	}
	b.WriteString(": ")
	if e.Item != "" {
		fmt.Fprintf(&b, "item %q: ", e.Item)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in one checklist, in file order. It is the
// error type of an invalid checklist (exit code 3).
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// masked returns es with every secret, and the forms a message may quote
// it in, masked. Parse calls it once on the way out, so no message can
// forget to (issue 17: 15 of 31 error shapes printed ${env:} values).
func (es Errors) masked(secrets []string) Errors {
	if len(secrets) == 0 {
		return es
	}
	red := redact.New(secretForms(secrets))
	for _, e := range es {
		e.Msg = red.String(e.Msg)
		e.Item = red.String(e.Item)
	}
	return es
}

// Mask masks the checklist's secrets in s, in the forms an error or a
// title may carry them (URL- and query-escaped, Go-quoted, or cut at a
// URL delimiter by a parser).
func (c *Checklist) Mask(s string) string {
	if c == nil || len(c.Secrets) == 0 {
		return s
	}
	return redact.New(secretForms(c.Secrets)).String(s)
}

// secretForms lists each secret with its escaped forms and, for a secret
// a URL parser would cut (a password with / or @), the pieces: Go's
// url.Parse reports `invalid port ":Pa55"` for the password "Pa55/w0rd".
func secretForms(secrets []string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, s := range secrets {
		add(s)
		add(url.QueryEscape(s))
		add(url.PathEscape(s))
		add(strings.TrimPrefix(url.UserPassword("", s).String(), ":"))
		if q := strconv.Quote(s); len(q) >= 2 {
			add(q[1 : len(q)-1])
		}
		pieces := strings.FieldsFunc(s, func(r rune) bool {
			return strings.ContainsRune("/?#@:;, \t\n\"'", r)
		})
		if len(pieces) > 1 {
			for _, p := range pieces {
				if len(p) >= minFragment {
					add(p)
				}
			}
		}
	}
	return out
}

// minFragment keeps short pieces of a secret (a scheme, a port) from
// masking half of every message.
const minFragment = 4
