package redact

import "strings"

// The three credential shapes below were regular expressions; a target's
// body of a few megabytes then took seconds to redact (about 1 MB/s), long
// after the item's deadline. These scans find the same matches in linear
// time with a literal search (the expressions are kept in shapes_test.go
// as the reference a differential fuzz target compares against).

// maskURLPasswords masks the password of scheme://user:password@ (as the
// expression [a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:([^@\s/]+)@).
func maskURLPasswords(s string) string {
	m := masker{s: s}
	from := 0
	for {
		i := strings.Index(s[from:], "://")
		if i < 0 {
			break
		}
		k := from + i
		from = k + 3
		if !schemeBefore(s, k) {
			continue
		}
		j := k + 3
		for j < len(s) && !isSpace(s[j]) && s[j] != ':' && s[j] != '/' && s[j] != '@' {
			j++
		}
		if j >= len(s) || s[j] != ':' {
			continue
		}
		pw := j + 1
		e := pw
		for e < len(s) && !isSpace(s[e]) && s[e] != '@' && s[e] != '/' {
			e++
		}
		if e == pw || e >= len(s) || s[e] != '@' {
			continue
		}
		m.mask(pw, e)
		from = e + 1
	}
	return m.result()
}

// masker builds s with some ranges replaced by Mask, in order.
type masker struct {
	s    string
	b    strings.Builder
	last int
}

func (m *masker) mask(from, to int) {
	m.b.WriteString(m.s[m.last:from])
	m.b.WriteString(Mask)
	m.last = to
}

func (m *masker) result() string {
	if m.last == 0 {
		return m.s
	}
	m.b.WriteString(m.s[m.last:])
	return m.b.String()
}

// schemeBefore reports whether the scheme characters right before k hold
// a letter (a scheme starts with one).
func schemeBefore(s string, k int) bool {
	for i := k - 1; i >= 0; i-- {
		c := s[i]
		switch {
		case isLetter(c):
			return true
		case c >= '0' && c <= '9', c == '+', c == '.', c == '-':
		default:
			return false
		}
	}
	return false
}

// maskDSNPasswords masks key=value passwords: password=secret or
// password='se cret' (as (?i)\b(password|passwd|pwd)=('[^']*'|[^\s]+)).
func maskDSNPasswords(s string) string {
	m := masker{s: s}
	from := 0
	for {
		i := strings.IndexByte(s[from:], '=')
		if i < 0 {
			break
		}
		eq := from + i
		from = eq + 1
		if !passwordKey(s, eq) {
			continue
		}
		v := eq + 1
		e := v
		if v < len(s) && s[v] == '\'' {
			if q := strings.IndexByte(s[v+1:], '\''); q >= 0 {
				e = v + 1 + q + 1
			}
		}
		if e == v {
			for e < len(s) && !isSpace(s[e]) {
				e++
			}
		}
		if e == v {
			continue
		}
		m.mask(v, e)
		from = e
	}
	return m.result()
}

// passwordKey reports whether password, passwd or pwd (any case) ends at
// eq and starts at a word boundary.
func passwordKey(s string, eq int) bool {
	for _, k := range []string{"password", "passwd", "pwd"} {
		start := eq - len(k)
		if start >= 0 && strings.EqualFold(s[start:eq], k) && (start == 0 || !isWord(s[start-1])) {
			return true
		}
	}
	return false
}

// maskHeaderValues masks the value after Authorization, Proxy-Authorization,
// Cookie or Set-Cookie (any case) and a ':' or '=' in free text or JSON (as
// (?i)\b(authorization|cookie)(["']?\s*[:=]\s*["']?)([^"'\n,}]+)).
func maskHeaderValues(s string) string {
	lower := asciiLower(s)
	if !strings.Contains(lower, "authorization") && !strings.Contains(lower, "cookie") {
		return s
	}
	m := masker{s: s}
	from := 0
	names := headerNames{lower: lower, at: [2]int{-2, -2}}
	for from < len(s) {
		k, name := names.next(from)
		if k < 0 {
			break
		}
		from = k + 1
		if k > 0 && isWord(s[k-1]) {
			continue
		}
		j := k + len(name)
		if j < len(s) && (s[j] == '"' || s[j] == '\'') {
			j++
		}
		for j < len(s) && isSpace(s[j]) {
			j++
		}
		if j >= len(s) || (s[j] != ':' && s[j] != '=') {
			continue
		}
		j++
		ws := j
		for j < len(s) && isSpace(s[j]) {
			j++
		}
		afterWS := j
		if j < len(s) && (s[j] == '"' || s[j] == '\'') {
			j++
		}
		e := valueEnd(s, j)
		if e == j && afterWS > ws && s[afterWS-1] != '\n' {
			// The expression gives back its last white space, which then
			// starts the value; masking it hides nothing, but keeps the
			// scan's output the expression's.
			j = afterWS - 1
			e = valueEnd(s, j)
		}
		if e == j {
			continue
		}
		m.mask(j, e)
		from = e
	}
	return m.result()
}

// valueEnd is where a header value starting at j ends.
func valueEnd(s string, j int) int {
	for j < len(s) && s[j] != '"' && s[j] != '\'' && s[j] != '\n' && s[j] != ',' && s[j] != '}' {
		j++
	}
	return j
}

// headerNames finds the next "authorization" or "cookie" in lower,
// remembering where each was last found, so that many of one and none of
// the other stays a linear scan.
type headerNames struct {
	lower string
	at    [2]int // next position of each name; -1 none left, -2 not searched
}

var names = [2]string{"authorization", "cookie"}

func (h *headerNames) next(from int) (int, string) {
	best := -1
	for i, n := range names {
		if h.at[i] == -2 || (h.at[i] >= 0 && h.at[i] < from) {
			h.at[i] = -1
			if j := strings.Index(h.lower[from:], n); j >= 0 {
				h.at[i] = from + j
			}
		}
		if h.at[i] >= 0 && (best < 0 || h.at[i] < h.at[best]) {
			best = i
		}
	}
	if best < 0 {
		return -1, ""
	}
	return h.at[best], names[best]
}

// asciiLower lowers A-Z only, so byte offsets stay those of s.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isWord(c byte) bool { return isLetter(c) || c >= '0' && c <= '9' || c == '_' }
