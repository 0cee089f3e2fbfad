// Package redact removes secrets from everything readyctl prints: values
// that came from ${env:...}, passwords in URLs and DSNs, and credential
// header values. The runner applies it before results reach the report
// model, so renderers and logs never see a secret.
package redact

import (
	"bytes"
	"encoding/json"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Mask replaces a secret.
const Mask = "***"

// minSecretLen keeps very short values (such as "1" or "on") from masking
// every occurrence of that text in a report; such values are not secrets
// anyone can keep anyway.
const minSecretLen = 3

var sensitiveHeaders = map[string]bool{
	"authorization": true, "proxy-authorization": true, "cookie": true, "set-cookie": true,
}

// Redactor masks a fixed set of secrets, in the forms a target or an
// error message may echo them in, plus well-known credential shapes.
type Redactor struct {
	replacer *strings.Replacer
	forms    []string // longest first
	secrets  []string // as given to New, for With
}

// With returns a Redactor that also masks extra: secrets learned at run
// time (a token a flow captured). r is unchanged.
func (r *Redactor) With(extra ...string) *Redactor {
	if len(extra) == 0 {
		return r
	}
	return New(append(append([]string{}, r.secrets...), extra...))
}

// New returns a Redactor for the given secret values. Each secret of at
// least minSecretLen bytes is masked raw and in its URL path, URL query,
// JSON and Go-quoted forms (a target echoes "Hunter2 Secret" as
// Hunter2%20Secret or Hunter2+Secret; a JSON body escapes quotes and
// angle brackets).
func New(secrets []string) *Redactor {
	seen := map[string]bool{}
	var forms []string
	for _, s := range secrets {
		if len(s) < minSecretLen {
			continue
		}
		for _, f := range Forms(s) {
			if !seen[f] {
				seen[f] = true
				forms = append(forms, f)
			}
		}
	}
	// Longest first, so a secret that contains another is masked whole
	// (the replacer tries its patterns in argument order).
	sort.Slice(forms, func(i, j int) bool {
		if len(forms[i]) != len(forms[j]) {
			return len(forms[i]) > len(forms[j])
		}
		return forms[i] < forms[j]
	})
	pairs := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		pairs = append(pairs, f, Mask)
	}
	return &Redactor{replacer: strings.NewReplacer(pairs...), forms: forms, secrets: append([]string(nil), secrets...)}
}

// Forms is secret as it may appear in output: raw, URL-path and
// URL-query escaped, JSON-escaped (with and without HTML escaping) and
// Go-quoted (%q in an error message).
func Forms(secret string) []string {
	forms := []string{secret, url.PathEscape(secret), url.QueryEscape(secret)}
	if b, err := json.Marshal(secret); err == nil {
		forms = append(forms, string(b[1:len(b)-1]))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if enc.Encode(secret) == nil {
		b := bytes.TrimSpace(buf.Bytes())
		forms = append(forms, string(b[1:len(b)-1]))
	}
	q := strconv.Quote(secret)
	forms = append(forms, q[1:len(q)-1])
	return forms
}

// maxPasses bounds String's passes: masking can join text around a mask
// into a new match only a few times before nothing changes.
const maxPasses = 4

// String masks secrets in s.
func (r *Redactor) String(s string) string {
	if s == "" {
		return s
	}
	for range maxPasses {
		next := r.once(s)
		if next == s {
			break
		}
		s = next
	}
	return s
}

func (r *Redactor) once(s string) string {
	s = r.replacer.Replace(s)
	s = r.maskCutSecrets(s)
	s = maskURLPasswords(s)
	s = maskDSNPasswords(s)
	s = maskHeaderValues(s)
	return s
}

// minCutLen is the least length of a text whose end is taken as a cut:
// a short value ending like a secret begins ("role: admin" against
// "admin123") is not a cut body.
const minCutLen = 256

// maxMessageLen bounds the texts searched for cut marks: messages quote a
// few hundred bytes; a body of megabytes full of "..." is not a message.
const maxMessageLen = 64 << 10

// cutMarks are what a producer appends where it shortened a text.
var cutMarks = []string{"...", "…"}

// maskCutSecrets masks the start of a secret where a text was cut short
// in the middle of it: before "..." or "…" (a message quoting the first
// 200 bytes of a body) and at the very end (a body cut at
// max_body_bytes). Text shortened before it is redacted would otherwise
// show most of a secret.
func (r *Redactor) maskCutSecrets(s string) string {
	if len(r.forms) == 0 {
		return s
	}
	if len(s) >= minCutLen {
		s, _ = r.maskPrefixBefore(s, len(s))
	}
	if len(s) > maxMessageLen {
		return s // a body, not a message: cut only at its end
	}
	for _, mark := range cutMarks {
		for from := 0; ; {
			i := strings.Index(s[from:], mark)
			if i < 0 {
				break
			}
			var at int
			s, at = r.maskPrefixBefore(s, from+i)
			from = at + len(mark)
		}
	}
	return s
}

// maskPrefixBefore masks the longest proper start (minSecretLen bytes or
// more) of a secret form that ends at end, and says where end is now.
func (r *Redactor) maskPrefixBefore(s string, end int) (string, int) {
	for _, f := range r.forms {
		for n := min(len(f)-1, end); n >= minSecretLen; n-- {
			if s[end-n:end] == f[:n] {
				return s[:end-n] + Mask + s[end:], end - n + len(Mask)
			}
		}
	}
	return s, end
}

// Value masks secrets in an observation value, recursively, returning a
// copy: strings, and map keys too (a target may echo a token as a JSON
// object key); map entries named like credential headers are masked
// whole.
func (r *Redactor) Value(v any) any {
	switch x := v.(type) {
	case string:
		return r.String(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = r.Value(e)
		}
		return out
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = r.String(e)
		}
		return out
	case map[string]any:
		return r.mapOf(len(x), func(yield func(string, any)) {
			for k, e := range x {
				yield(k, e)
			}
		})
	case map[string]string:
		return r.mapOf(len(x), func(yield func(string, any)) {
			for k, e := range x {
				yield(k, e)
			}
		})
	case []map[string]any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = r.Value(e)
		}
		return out
	}
	return v
}

// mapOf masks every key and value of a map. Keys are visited in sorted
// order so that two keys masked to the same text keep both entries, with
// the same suffixes on every run.
func (r *Redactor) mapOf(n int, each func(yield func(string, any))) map[string]any {
	// Pairs in a slice, not a second map: this runs for every item's
	// observations (issue 16), and a map's keys are unique already.
	type pair struct {
		k string
		v any
	}
	pairs := make([]pair, 0, n)
	each(func(k string, v any) { pairs = append(pairs, pair{k, v}) })
	slices.SortFunc(pairs, func(a, b pair) int { return strings.Compare(a.k, b.k) })
	out := make(map[string]any, n)
	for _, p := range pairs {
		k := p.k
		mk := r.String(k)
		for i := 2; ; i++ {
			if _, taken := out[mk]; !taken {
				break
			}
			mk = r.String(k) + "#" + strconv.Itoa(i)
		}
		if sensitiveHeaders[strings.ToLower(k)] {
			out[mk] = Mask
			continue
		}
		out[mk] = r.Value(p.v)
	}
	return out
}

// Map masks every key and value of an observation map.
func (r *Redactor) Map(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out, _ := r.Value(m).(map[string]any)
	return out
}
