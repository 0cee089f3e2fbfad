package all_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/readyctl/readyctl/checks"
	_ "github.com/readyctl/readyctl/checks/all"
	"github.com/readyctl/readyctl/internal/checklist"
)

// TestExamplesLoad loads every kind's embedded example through the real
// loader, so `readyctl probes KIND` never shows an example that fails.
func TestExamplesLoad(t *testing.T) {
	for _, name := range checks.Names() {
		kind, _ := checks.Lookup(name)
		t.Run(name, func(t *testing.T) {
			if !strings.HasPrefix(kind.Example, "- id:") {
				t.Fatalf("example must be one item starting with \"- id:\", got:\n%s", kind.Example)
			}
			if kind.Summary == "" {
				t.Error("no summary")
			}
			src := "version: 1\nname: example\nsections:\n  - id: s\n    items:\n" + indent(kind.Example, "      ")
			cl, err := checklist.Parse(name+"/example.yaml", []byte(src), checklist.Options{
				LookupEnv: func(string) (string, bool) { return "example-value", true },
			})
			if err != nil {
				t.Fatalf("example does not load:\n%v\n%s", err, src)
			}
			if got := cl.Items()[0].Kind; got != name {
				t.Errorf("example is of kind %q", got)
			}
		})
	}
}

func indent(s, pad string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = pad + l
	}
	return strings.Join(lines, "\n") + "\n"
}

// TestSeedChecklistLoads keeps the repository's checklist.yaml (the whole
// seed checklist) valid with every kind's current fields.
func TestSeedChecklistLoads(t *testing.T) {
	cl, err := checklist.Load("../../checklist.yaml", checklist.Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, it := range cl.Items() {
		kinds[it.Kind]++
	}
	for _, k := range append(checks.Names(), "manual") {
		if kinds[k] == 0 {
			t.Errorf("no %s item in checklist.yaml", k)
		}
	}
	if n := len(cl.Signoff.Roles); n != 13 {
		t.Errorf("%d sign-off roles, want the seed's 13", n)
	}
}

// TestEveryFieldIsDocumented: `readyctl probes KIND` prints each field of a
// kind's configuration from its yaml and doc tags, nested blocks included.
func TestEveryFieldIsDocumented(t *testing.T) {
	for _, name := range checks.Names() {
		kind, _ := checks.Lookup(name)
		checkTags(t, name, reflect.TypeOf(kind.New()).Elem())
	}
}

func checkTags(t *testing.T, kind string, typ reflect.Type) {
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		if !f.IsExported() {
			continue
		}
		if strings.HasSuffix(f.Tag.Get("yaml"), ",inline") {
			checkTags(t, kind, f.Type) // shared options embedded in the block
			continue
		}
		if f.Tag.Get("yaml") == "" || f.Tag.Get("doc") == "" {
			t.Errorf("%s: %s.%s lacks a yaml or doc tag", kind, typ.Name(), f.Name)
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && strings.HasPrefix(ft.PkgPath(), "github.com/readyctl/readyctl/") {
			checkTags(t, kind, ft)
		}
	}
}
