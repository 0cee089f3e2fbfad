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

// sections loads every section and its items, interpolating each item
// with r, and returns the id node of every item by id.
func (l *loader) sections(c *Checklist, nodes []yaml.Node, r *resolver) map[string]*yaml.Node {
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
			raw := copyNode(n)
			r.interpolateItem(n, func(at *yaml.Node, col int, msg string) {
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
