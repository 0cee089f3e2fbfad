package checklist

import (
	"testing"

	"go.yaml.in/yaml/v3"
)

// Each item's Raw is its node in Doc (one copy of the document as
// written, not two), still uninterpolated; an item reached through an
// alias keeps a copy of its own.
func TestRawItemsShareTheDocument(t *testing.T) {
	src := `version: 1
name: raw
vars:
  who: world
sections:
  - id: a
    items:
      - id: one
        title: Hello ${who}
        manual: {roles: [qa]}
  - id: b
    items:
      - id: two
        title: Bye ${who}
        manual: {roles: [qa]}
`
	c, err := Parse("raw.yaml", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range c.Sections {
		for j, it := range s.Items {
			if it.Raw != docItem(c.Doc, i, j) || it.Raw == nil {
				t.Errorf("%s: Raw is not its node in Doc", it.ID)
			}
			if title := valueNode(it.Raw, "title"); title == nil || title.Value[len(title.Value)-6:] != "${who}" {
				t.Errorf("%s: Raw title %v, want it as written", it.ID, title)
			}
		}
	}
	if c.Sections[0].Items[0].Title != "Hello world" {
		t.Errorf("title %q", c.Sections[0].Items[0].Title)
	}
}

func TestDocItemStopsAtAliases(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("sections:\n  - items: &i [{id: a}]\n  - items: *i\n"), &doc); err != nil {
		t.Fatal(err)
	}
	if docItem(&doc, 0, 0) == nil {
		t.Error("item of the first section not found")
	}
	if docItem(&doc, 1, 0) != nil || docItem(&doc, 0, 1) != nil || docItem(&doc, 2, 0) != nil {
		t.Error("found an item through an alias or out of range")
	}
}
