package checklist

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// FuzzInterpolate expands arbitrary text against arbitrary variables:
// no panic, output within the budget, loops and undefined names are
// errors, and a NoEnv placeholder never carries a value.
func FuzzInterpolate(f *testing.F) {
	for _, s := range [][3]string{
		{"${a}", "${b}${b}", "x"},
		{"${a}${a}${a}", "${b}${b}${b}${b}${b}${b}${b}${b}${b}${b}", "${a}"},
		{"$${a} ${env:X:-d} ${env:Y}", "${env:Z}", "${"},
		{"${a", "}", "${b}"},
		{"${env:}", "${env::-}", "$$"},
	} {
		f.Add(s[0], s[1], s[2], false)
		f.Add(s[0], s[1], s[2], true)
	}
	f.Fuzz(func(t *testing.T, s, a, b string, noEnv bool) {
		tainted := map[*yaml.Node]bool{}
		r := newResolver(Options{NoEnv: noEnv, LookupEnv: func(k string) (string, bool) {
			return "v", k == "SET"
		}}, tainted, map[string]string{"a": a, "b": b})
		r.budget = 1 << 16 // small, so the fuzzer reaches it
		out, _, err := r.expand(s, 0)
		if err == nil && len(out) > len(s)+1<<16 {
			t.Fatalf("expanded %d bytes past a %d budget", len(out), 1<<16)
		}
		n := &yaml.Node{Kind: yaml.ScalarNode, Value: s}
		r.interpolate(n, func(*yaml.Node, int, string) {})
		if !noEnv && len(r.needed) > 0 {
			t.Fatalf("placeholders without NoEnv: %v", r.needed)
		}
		for name := range r.needed {
			if strings.Contains(name, "}") {
				t.Fatalf("needed name %q", name)
			}
		}
	})
}
