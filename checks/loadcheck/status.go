package loadcheck

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// StatusList is the `ok_status:` option: one status or a list, each a code
// (200), a class ("2xx") or an inclusive range ("200-399").
type StatusList []string

// UnmarshalYAML accepts a single scalar as well as a sequence of scalars.
func (l *StatusList) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*l = StatusList{n.Value}
		return nil
	case yaml.SequenceNode:
		out := make(StatusList, 0, len(n.Content))
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: ok_status entries are codes like 200, classes like \"2xx\" or ranges like \"200-399\"", c.Line)
			}
			out = append(out, c.Value)
		}
		*l = out
		return nil
	}
	return fmt.Errorf("line %d: ok_status is a status, a class like \"2xx\" or a list of them", n.Line)
}

// statusMatcher says which statuses count as success. Empty means the
// default: any status below 500.
type statusMatcher []statusRange

type statusRange struct{ lo, hi int }

func (m statusMatcher) ok(code int) bool {
	if len(m) == 0 {
		return code < 500
	}
	for _, r := range m {
		if code >= r.lo && code <= r.hi {
			return true
		}
	}
	return false
}

func parseStatusList(l StatusList) (statusMatcher, error) {
	var m statusMatcher
	for _, s := range l {
		r, err := parseStatus(strings.TrimSpace(s))
		if err != nil {
			return nil, err
		}
		m = append(m, r)
	}
	return m, nil
}

func parseStatus(s string) (statusRange, error) {
	bad := fmt.Errorf("%q is not a status code, a class like \"2xx\" or a range like \"200-399\"", s)
	if len(s) == 3 && (strings.HasSuffix(s, "xx") || strings.HasSuffix(s, "XX")) {
		c := s[0]
		if c < '1' || c > '5' {
			return statusRange{}, bad
		}
		lo := int(c-'0') * 100
		return statusRange{lo, lo + 99}, nil
	}
	if lo, hi, ok := strings.Cut(s, "-"); ok {
		a, err1 := code(strings.TrimSpace(lo))
		b, err2 := code(strings.TrimSpace(hi))
		if err1 != nil || err2 != nil || a > b {
			return statusRange{}, bad
		}
		return statusRange{a, b}, nil
	}
	c, err := code(s)
	if err != nil {
		return statusRange{}, bad
	}
	return statusRange{c, c}, nil
}

func code(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 100 || n > 999 {
		return 0, fmt.Errorf("bad status %q", s)
	}
	return n, nil
}
