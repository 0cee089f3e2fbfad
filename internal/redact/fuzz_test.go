package redact

import (
	"strings"
	"testing"
)

// FuzzRedact: a secret never survives in any output of String or Map, in
// its raw or any escaped form, wherever the input puts it (text, map key,
// map value, nested list).
func FuzzRedact(f *testing.F) {
	f.Add("Hunter2 Secret", "token=%s&x=1")
	f.Add("p@ss/w0rd#", "postgres://app:%s@db/app")
	f.Add(`q"uo<te>`, `{"%s": "%s"}`)
	f.Add("S3cr3t", `status "%s": expected a code`)
	f.Add("aaa", "aa%saa")
	f.Add("ab+cd", "Authorization: Bearer %s")
	f.Add("é ünï", "/path/%s?q=%s")
	f.Fuzz(func(t *testing.T, secret, text string) {
		if len(secret) < minSecretLen || strings.Contains(secret, "*") {
			t.Skip() // shorter is not masked by design; '*' is the mask's own character
		}
		r := New([]string{secret})
		forms := Forms(secret)
		var in strings.Builder
		in.WriteString(text)
		for _, form := range forms {
			in.WriteString(strings.ReplaceAll(text, "%s", form))
			in.WriteString(form)
		}
		input := in.String()
		outs := []string{r.String(input)}
		m := r.Map(map[string]any{
			"v":   input,
			input: []any{input, map[string]any{forms[1]: forms[2]}},
			"h":   map[string]string{forms[3]: forms[0]},
		})
		var walk func(v any)
		walk = func(v any) {
			switch x := v.(type) {
			case string:
				outs = append(outs, x)
			case []any:
				for _, e := range x {
					walk(e)
				}
			case map[string]any:
				for k, e := range x {
					outs = append(outs, k)
					walk(e)
				}
			}
		}
		walk(m)
		for _, out := range outs {
			for _, form := range forms {
				if strings.Contains(out, form) {
					t.Fatalf("form %q of secret %q survives in %q", form, secret, out)
				}
			}
		}
	})
}
