package checklist

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// Limits on what one checklist may cost to load. A checklist is code from
// a pull request: without them a few hundred bytes of anchors or
// variables take gigabytes (issue 17). Real checklists stay far below:
// 500 items are about 80 KB, 10,000 nodes and a few KB of expansion.
const (
	// MaxFileSize caps the bytes read from a checklist file.
	MaxFileSize = 1 << 20
	// MaxNodes caps the YAML nodes a walk of the document visits, each
	// alias counted as the nodes it stands for. Every walker that follows
	// aliases (strict decoding, sign-off digests) is bounded by it.
	MaxNodes = 200_000
	// MaxExpansion caps the bytes that ${...} interpolation produces in
	// one load, variables included.
	MaxExpansion = 4 << 20
)

// The limits a load applies; tests and fuzz targets lower them.
var (
	maxNodes     = MaxNodes
	maxExpansion = MaxExpansion
)

// NodeLimitError says a document is bigger than MaxNodes once its
// aliases are followed, or that an alias contains itself.
type NodeLimitError struct {
	Node  *yaml.Node // where the walk went past the limit
	Limit int
	Cycle bool
}

func (e *NodeLimitError) Error() string {
	if e.Cycle {
		return fmt.Sprintf("alias *%s refers to a node that contains it", e.Node.Value)
	}
	return fmt.Sprintf("document too large: more than %d YAML nodes with aliases expanded (anchors reused too often?)", e.Limit)
}

// CheckNodes counts the nodes that a walk of n following aliases visits
// and returns a *NodeLimitError past limit or on an alias cycle. It runs
// in time linear in the nodes as written (each anchor's size is computed
// once), so it is safe on any parsed document; callers run it before a
// walker that follows aliases, which is then bounded by limit.
func CheckNodes(n *yaml.Node, limit int) error {
	_, _, err := countNodes(n, limit)
	return err
}

// countNodes is CheckNodes that also returns the count, so that a load
// can charge each included file to one budget, and whether the walk met
// an alias (a node with two parents).
func countNodes(n *yaml.Node, limit int) (int, bool, error) {
	c := nodeCounter{limit: limit, memo: map[*yaml.Node]int{}, active: map[*yaml.Node]bool{}}
	c.count(n)
	if c.err != nil {
		return c.total, c.aliases, c.err
	}
	return c.total, c.aliases, nil
}

type nodeCounter struct {
	limit  int
	total  int // nodes visited so far, aliases expanded
	memo   map[*yaml.Node]int
	active map[*yaml.Node]bool // alias targets being counted: a cycle
	err    *NodeLimitError
	// aliases: an alias was met.
	aliases bool
}

// count adds the expanded size of n to c.total, memoising each anchor's
// size; it stops once c.err is set.
func (c *nodeCounter) count(n *yaml.Node) {
	if n == nil || c.err != nil {
		return
	}
	if n.Kind == yaml.AliasNode {
		c.aliases = true
		t := n.Alias
		switch {
		case t == nil:
			c.add(n, 1)
		case c.active[t]:
			c.err = &NodeLimitError{Node: n, Cycle: true}
		default:
			if size, ok := c.memo[t]; ok {
				c.add(n, 1+size)
				return
			}
			// An anchor outside the walked tree (an item's copy points
			// into the document): count it once here.
			c.add(n, 1)
			c.count(t)
		}
		return
	}
	before := c.total
	if n.Anchor != "" {
		c.active[n] = true
	}
	c.add(n, 1)
	for _, ch := range n.Content {
		if c.err != nil {
			return
		}
		c.count(ch)
	}
	if n.Anchor != "" {
		delete(c.active, n)
		c.memo[n] = c.total - before
	}
}

func (c *nodeCounter) add(n *yaml.Node, k int) {
	if c.err != nil {
		return
	}
	c.total += k
	if c.total > c.limit {
		c.err = &NodeLimitError{Node: n, Limit: c.limit}
	}
}
