package redact

import (
	"regexp"
	"strings"
	"testing"
)

// The expressions the scans in shapes.go replace; they define what the
// scans must find.
var (
	urlPassword = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)([^@\s/]+)@`)
	dsnPassword = regexp.MustCompile(`(?i)\b(password|passwd|pwd)=('[^']*'|[^\s]+)`)
	headerValue = regexp.MustCompile(`(?i)\b((?:proxy-)?authorization|cookie|set-cookie)(["']?\s*[:=]\s*["']?)([^"'\n,}]+)`)
)

func byRegexp(s string) string {
	s = urlPassword.ReplaceAllString(s, "${1}"+Mask+"@")
	s = dsnPassword.ReplaceAllString(s, "${1}="+Mask)
	return headerValue.ReplaceAllString(s, "${1}${2}"+Mask)
}

func byScan(s string) string { return maskHeaderValues(maskDSNPasswords(maskURLPasswords(s))) }

var shapeSeeds = []string{
	"postgres://app:pa55word@db:5432/app", "redis://:pw@r:6379 http://u:p:q@h/ x://a:b@c 9://a:b@c",
	"host=db password=pa55 PWD='se cret' passwd=", "xpassword=a pwd=pwd=x password='unclosed x",
	`{"authorization": "Bearer abc.def", "Cookie":"a=b", "set-cookie" : 'c'}`,
	"Proxy-Authorization: Basic Zm9v\nX-Cookie: y\nmycookie: z", "authorization=,cookie:}",
	"https://user@host/ http://:@h", "Authorization:\tBearer t, next",
}

// The scans mask exactly what the expressions masked (in ASCII text).
func FuzzShapesMatchRegexp(f *testing.F) {
	for _, s := range shapeSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 || s[i] == '\v' {
				t.Skip() // (?i) also folds ſ and K (Kelvin); \s in the scans is ASCII
			}
		}
		want, got := byRegexp(s), byScan(s)
		if got != want {
			t.Fatalf("scan %q, regexp %q", got, want)
		}
	})
}

func TestShapesMatchRegexp(t *testing.T) {
	for _, s := range shapeSeeds {
		if got, want := byScan(s), byRegexp(s); got != want {
			t.Errorf("%q: scan %q, regexp %q", s, got, want)
		}
	}
}

func BenchmarkRedactLargeBody(b *testing.B) {
	body := strings.Repeat(`{"id":12345,"name":"some name","url":"http://x.example/a?password=no","auth":"authorization is fine","tags":["a","b"]},`, 1<<13)
	r := New([]string{"Hunter2 Secret", "another-secret-value"})
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		r.String(body)
	}
}
