package all_test

import (
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
