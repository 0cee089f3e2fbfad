package httpcheck

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// StatusSpec is the `status:` shorthand: an int (200), a class ("2xx"), or
// a list of either ([200, 204, "3xx"]).
type StatusSpec []string

// UnmarshalYAML accepts an int, a string or a list of them.
func (s *StatusSpec) UnmarshalYAML(n *yaml.Node) error {
	var items []*yaml.Node
	switch n.Kind {
	case yaml.ScalarNode:
		items = []*yaml.Node{n}
	case yaml.SequenceNode:
		items = n.Content
	default:
		return fmt.Errorf("status: expected a code (200), a class (\"2xx\") or a list of them")
	}
	out := StatusSpec{}
	for _, it := range items {
		v := strings.ToLower(strings.TrimSpace(it.Value))
		if !validStatus(v) {
			return fmt.Errorf("status %q: expected a code from 100 to 599 or a class such as \"2xx\"", it.Value)
		}
		out = append(out, v)
	}
	*s = out
	return nil
}

func validStatus(v string) bool {
	if len(v) == 3 && v[1:] == "xx" {
		return v[0] >= '1' && v[0] <= '5'
	}
	n, err := strconv.Atoi(v)
	return err == nil && n >= 100 && n <= 599
}

// Match reports whether code is allowed.
func (s StatusSpec) Match(code int) bool {
	c := strconv.Itoa(code)
	for _, want := range s {
		if want == c || (strings.HasSuffix(want, "xx") && want[0] == c[0]) {
			return true
		}
	}
	return false
}

func (s StatusSpec) String() string {
	if len(s) == 1 {
		return s[0]
	}
	return strings.Join(s, ", ")
}
