package cli

import (
	"testing"

	"github.com/readyctl/readyctl/internal/checklist"
)

// The example `readyctl probes manual` prints loads through the real
// loader, as every probe kind's example does.
func TestManualExampleLoads(t *testing.T) {
	doc := "version: 1\nsections:\n  - id: s\n    items:\n" + indent(manualExample, "      ")
	cl, err := checklist.Parse("example.yaml", []byte(doc), checklist.Options{})
	if err != nil {
		t.Fatalf("%v\n%s", err, doc)
	}
	it := cl.Items()[0]
	if it.Kind != "manual" || it.Manual == nil || len(it.Manual.Roles) != 1 || it.Manual.Instructions == "" {
		t.Errorf("loaded %+v", it)
	}
}
