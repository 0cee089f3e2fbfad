// Package redact removes secrets from everything readyctl prints: values
// that came from ${env:...}, passwords in URLs and DSNs, and credential
// header values. The runner applies it before results reach the report
// model, so renderers and logs never see a secret.
package redact

import (
	"regexp"
	"sort"
	"strings"
)

// Mask replaces a secret.
const Mask = "***"

// minSecretLen keeps very short values (such as "1" or "on") from masking
// every occurrence of that text in a report; such values are not secrets
// anyone can keep anyway.
const minSecretLen = 3

var (
	// scheme://user:password@host
	urlPassword = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)([^@\s/]+)@`)
	// key=value DSN passwords: password=secret or password='se cret'
	dsnPassword = regexp.MustCompile(`(?i)\b(password|passwd|pwd)=('[^']*'|[^\s]+)`)
	// Authorization: Bearer abc, Cookie: a=b in free text
	headerValue = regexp.MustCompile(`(?i)\b((?:proxy-)?authorization|cookie|set-cookie)(["']?\s*[:=]\s*["']?)([^"'\n,}]+)`)
)

var sensitiveHeaders = map[string]bool{
	"authorization": true, "proxy-authorization": true, "cookie": true, "set-cookie": true,
}

// Redactor masks a fixed set of secrets plus well-known credential shapes.
type Redactor struct {
	replacer *strings.Replacer
}

// New returns a Redactor for the given secret values.
func New(secrets []string) *Redactor {
	var pairs []string
	sorted := append([]string(nil), secrets...)
	// Longest first, so a secret that contains another is masked whole.
	sort.Slice(sorted, func(i, j int) bool { return len(sorted[i]) > len(sorted[j]) })
	for _, s := range sorted {
		if len(s) >= minSecretLen {
			pairs = append(pairs, s, Mask)
		}
	}
	return &Redactor{replacer: strings.NewReplacer(pairs...)}
}

// String masks secrets in s.
func (r *Redactor) String(s string) string {
	if s == "" {
		return s
	}
	s = r.replacer.Replace(s)
	s = urlPassword.ReplaceAllString(s, "${1}"+Mask+"@")
	s = dsnPassword.ReplaceAllString(s, "${1}="+Mask)
	s = headerValue.ReplaceAllString(s, "${1}${2}"+Mask)
	return s
}

// Value masks secrets in an observation value, recursively, returning a
// copy; map entries named like credential headers are masked whole.
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
		out := make(map[string]any, len(x))
		for k, e := range x {
			if sensitiveHeaders[strings.ToLower(k)] {
				out[k] = Mask
				continue
			}
			out[k] = r.Value(e)
		}
		return out
	case map[string]string:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if sensitiveHeaders[strings.ToLower(k)] {
				out[k] = Mask
				continue
			}
			out[k] = r.String(e)
		}
		return out
	}
	return v
}

// Map masks every value of an observation map.
func (r *Redactor) Map(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out, _ := r.Value(m).(map[string]any)
	return out
}
