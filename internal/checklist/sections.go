package checklist

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

type sectionSpec struct {
	ID          string      `yaml:"id"`
	Title       string      `yaml:"title"`
	Description string      `yaml:"description"`
	Phase       string      `yaml:"phase"`
	MinPassRate *float64    `yaml:"min_pass_rate"`
	Items       []yaml.Node `yaml:"items"`
}

// sections loads every section of src and its items, interpolating each
// item with r, and returns the id node of every item by id. In a plain
// source (no alias) an item's Raw is its node as parsed, which
// interpolation leaves alone (interpolateCopy). Otherwise doc is the
// uninterpolated copy of the document the sections are from, or nil: an
// included file's items are copied one by one (positions alone cannot tell
// its items from the root file's, and Raw must be the item's own).
func (l *loader) sections(c *Checklist, src *source, doc *yaml.Node, r *resolver) map[string]*yaml.Node {
	nodes := src.spec.Sections
	var written []*yaml.Node // the sections as parsed, in a plain source
	if src.plain {
		if s := valueNode(src.root, "sections"); s != nil && s.Kind == yaml.SequenceNode {
			written = s.Content
		}
	}
	ids := map[string]*yaml.Node{}
	sectionIDs := map[string]bool{}
	for i := range nodes {
		sn := &nodes[i]
		var ss sectionSpec
		l.decode(sn, &ss, "")
		if ss.ID == "" {
			l.errAt(sn, 0, "section has no id")
		} else if !idPattern.MatchString(ss.ID) {
			l.errAt(valueNode(sn, "id"), 0, fmt.Sprintf("section id %q must match [a-z0-9][a-z0-9-]*", ss.ID))
		} else if sectionIDs[ss.ID] {
			l.errAt(valueNode(sn, "id"), 0, fmt.Sprintf("duplicate section id %q", ss.ID))
		}
		sectionIDs[ss.ID] = true
		if ss.MinPassRate != nil && (*ss.MinPassRate < 0 || *ss.MinPassRate > 1) {
			l.errAt(valueNode(sn, "min_pass_rate"), 0, fmt.Sprintf("min_pass_rate %g must be between 0 and 1", *ss.MinPassRate))
		}
		title := ss.Title
		if title == "" {
			title = ss.ID
		}
		sec := &Section{ID: ss.ID, Title: title, Phase: ss.Phase, MinPassRate: ss.MinPassRate}
		for j := range ss.Items {
			n := &ss.Items[j]
			var raw *yaml.Node
			if src.plain {
				raw = plainItem(written, i, j)
			} else {
				raw = rawItem(doc, i, j, n)
			}
			r.interpolateItem(n, src.plain, func(at *yaml.Node, col int, msg string) {
				if l.definitions {
					return
				}
				l.item = idOf(n)
				l.report(at, col, msg)
				l.item = ""
			})
			if it := l.loadItem(n, c, sec, ids); it != nil {
				it.Raw = raw
				sec.Items = append(sec.Items, it)
			}
		}
		c.Sections = append(c.Sections, sec)
	}
	return ids
}

// plainItem is item j of section i as parsed, in a plain source, where
// every item of ss.Items is a copy of that node (no alias leads
// elsewhere); nil when it is not a mapping (no item is loaded then).
func plainItem(sections []*yaml.Node, i, j int) *yaml.Node {
	if i >= len(sections) {
		return nil
	}
	items := valueNode(sections[i], "items")
	if items == nil || items.Kind != yaml.SequenceNode || j >= len(items.Content) {
		return nil
	}
	if it := items.Content[j]; it.Kind == yaml.MappingNode {
		return it
	}
	return nil
}

// rawItem is item n, item j of section i, as written. It is the node of
// doc, the copy of the document taken before interpolation, when that is
// reached without crossing an alias; a second deep copy of every item was
// half of what a loaded checklist of 10,000 items kept (issue 16).
func rawItem(doc *yaml.Node, i, j int, n *yaml.Node) *yaml.Node {
	if d := docItem(doc, i, j); d != nil && d.Line == n.Line && d.Column == n.Column {
		return d
	}
	return copyNode(n)
}

// docItem is item j of section i in doc, or nil when the path to it
// crosses an alias or is not the shape a checklist has.
func docItem(doc *yaml.Node, i, j int) *yaml.Node {
	if doc == nil || len(doc.Content) == 0 {
		return nil
	}
	secs := valueNode(doc.Content[0], "sections")
	if secs == nil || secs.Kind != yaml.SequenceNode || i >= len(secs.Content) {
		return nil
	}
	items := valueNode(secs.Content[i], "items")
	if items == nil || items.Kind != yaml.SequenceNode || j >= len(items.Content) {
		return nil
	}
	if it := items.Content[j]; it.Kind == yaml.MappingNode {
		return it
	}
	return nil
}
