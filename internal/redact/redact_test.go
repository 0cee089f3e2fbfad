package redact

import (
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	r := New([]string{"hunter22", "x"})
	for in, want := range map[string]string{
		"token hunter22 here":                       "token *** here",
		"postgres://app:pa55word@db:5432/app":       "postgres://app:***@db:5432/app",
		"host=db user=app password=pa55 dbname=app": "host=db user=app password=*** dbname=app",
		`{"authorization": "Bearer abc.def"}`:       `{"authorization": "***"}`,
		"Cookie: session=abc":                       "Cookie: ***",
		"x marks the spot":                          "x marks the spot", // too short to be a secret
	} {
		if got := r.String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValue(t *testing.T) {
	r := New([]string{"hunter22"})
	got := r.Map(map[string]any{
		"headers": map[string]any{"Authorization": "Basic Zm9v", "x-echo": "hunter22"},
		"list":    []any{"a hunter22", 3},
		"n":       1,
	})
	h := got["headers"].(map[string]any)
	if h["Authorization"] != Mask || h["x-echo"] != Mask || got["list"].([]any)[0] != "a "+Mask || got["n"] != 1 {
		t.Errorf("got %v", got)
	}
	if strings.Contains(New(nil).String("plain"), Mask) {
		t.Error("masked without secrets")
	}
}

// A target may echo a secret URL- or query-escaped, JSON-escaped, or use
// it as a JSON object key.
func TestEscapedFormsAndKeys(t *testing.T) {
	r := New([]string{"Hunter2 Secret", `Tok"en<&>`, "ab"})
	for in, want := range map[string]string{
		"/echo/Hunter2%20Secret":            "/echo/***",
		"?q=Hunter2+Secret&x=1":             "?q=***&x=1",
		`{"t":"Tok\"en\u003c\u0026\u003e"}`: `{"t":"***"}`,
		`{"t":"Tok\"en<&>"}`:                `{"t":"***"}`,
		"Tok%22en%3C&%3E":                   "***", // path-escaped form
		"Tok%22en%3C%26%3E":                 "***", // query-escaped form
		"ab stays: too short":               "ab stays: too short",
	} {
		if got := r.String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
	got := r.Map(map[string]any{
		"json": map[string]any{
			"Hunter2 Secret":   "value",
			"Hunter2%20Secret": "other",
			"ok":               []any{map[string]any{"Hunter2+Secret": 1}},
		},
		"labels": map[string]string{"Hunter2 Secret": "x"},
	})
	j := got["json"].(map[string]any)
	if j[Mask] == nil || j[Mask+"#2"] == nil || len(j) != 3 {
		t.Errorf("keys not masked, or an entry lost: %v", j)
	}
	if inner := j["ok"].([]any)[0].(map[string]any); inner[Mask] != 1 {
		t.Errorf("nested key: %v", inner)
	}
	if l := got["labels"].(map[string]any); l[Mask] != "x" {
		t.Errorf("map[string]string key: %v", l)
	}
	// Same input, same output: colliding keys get their suffix in sorted order.
	again := r.Map(map[string]any{"Hunter2%20Secret": "other", "Hunter2 Secret": "value"})
	if again[Mask] != "value" || again[Mask+"#2"] != "other" {
		t.Errorf("collision order: %v", again)
	}
}

func TestFormsOfShortSecretsAreNotMasked(t *testing.T) {
	r := New([]string{"a b"}) // 3 bytes: masked, with its escaped forms
	if got := r.String("x a%20b a+b a b"); got != "x *** *** ***" {
		t.Errorf("got %q", got)
	}
	if got := New([]string{"ab"}).String("ab a%20b"); got != "ab a%20b" {
		t.Errorf("a 2-byte secret masked: %q", got)
	}
}

// A text cut short in the middle of a secret (a message quoting the first
// bytes of a body, a body cut at max_body_bytes) shows no start of it.
func TestCutSecrets(t *testing.T) {
	r := New([]string{"Hunter2+Canary_7f3!x"})
	for in, want := range map[string]string{
		`{"a":"Bearer+Hunter2%2BCanary_7f...`:     `{"a":"Bearer+***...`,
		strings.Repeat("x", 300) + "Hunter2+Cana": strings.Repeat("x", 300) + "***",
		"role: Hunter2":                       "role: Hunter2", // short: not a cut body
		"cut Hunter2+Can… and more":           "cut ***… and more",
		"Hun... is too short a start to tell": "***... is too short a start to tell",
		"nothing here...":                     "nothing here...",
	} {
		if got := r.String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
}
