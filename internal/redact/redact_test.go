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
