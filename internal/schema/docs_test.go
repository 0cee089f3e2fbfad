package schema_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/schema"
)

const committedDocs = "../../docs/" + schema.ReferenceFile

// TestCommittedReference keeps docs/reference.md identical to what
// `readyctl docs` writes. After changing a kind or the loader:
// go run ./cmd/readyctl docs (or this test with -update).
func TestCommittedReference(t *testing.T) {
	got := schema.Reference()
	if *update {
		if err := os.WriteFile(committedDocs, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(committedDocs)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is out of date: run `go run ./cmd/readyctl docs`", committedDocs)
	}
}

// TestReferenceCoversEverything: every kind, each of its fields and
// observations, and every item field appear in the reference.
func TestReferenceCoversEverything(t *testing.T) {
	ref := string(schema.Reference())
	for _, name := range checks.Names() {
		k, _ := checks.Lookup(name)
		if !strings.Contains(ref, "\n## "+name+"\n") {
			t.Errorf("no section for kind %s", name)
		}
		for _, f := range checklist.Fields(k.New()) {
			if !strings.Contains(ref, "| `"+f.Path+"` |") {
				t.Errorf("%s: field %s missing", name, f.Path)
			}
		}
		for _, o := range k.Observations {
			if !strings.Contains(ref, "| `"+o.Name+"` |") {
				t.Errorf("%s: observation %s missing", name, o.Name)
			}
		}
	}
	for _, f := range checklist.ItemFields {
		if !strings.Contains(ref, "| `"+f+"` |") {
			t.Errorf("item field %s missing", f)
		}
	}
}
