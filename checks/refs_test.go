package checks

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestReferences(t *testing.T) {
	for _, tc := range []struct {
		in   string
		refs []string
		out  string
	}{
		{"plain", nil, "plain"},
		{"${a}/x/${env:B}", []string{"a", "env:B"}, "<a>/x/<env:B>"},
		{"$${a} ${b}", []string{"b"}, "${a} <b>"},
		{"a$$${b}", []string{}, "a$${b}"},
		{"x ${open", nil, "x ${open"},
		{"$ {a} $a", nil, "$ {a} $a"},
	} {
		got := References(tc.in)
		if len(got) != 0 || len(tc.refs) != 0 {
			if !reflect.DeepEqual(got, tc.refs) {
				t.Errorf("References(%q) = %q, want %q", tc.in, got, tc.refs)
			}
		}
		out, err := ExpandReferences(tc.in, func(n string) (string, error) { return "<" + n + ">", nil })
		if err != nil || out != tc.out {
			t.Errorf("ExpandReferences(%q) = %q, %v, want %q", tc.in, out, err, tc.out)
		}
	}
	boom := errors.New("unknown")
	if _, err := ExpandReferences("a ${x} b", func(string) (string, error) { return "", boom }); !errors.Is(err, boom) {
		t.Errorf("lookup error lost: %v", err)
	}
	if got := References(strings.Repeat("${a}", 3)); len(got) != 3 {
		t.Errorf("got %q", got)
	}
}
