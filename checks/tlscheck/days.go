package tlscheck

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Days is a span of whole days, written in YAML as a number of days (398)
// or the same with a "d" suffix ("398d"). Certificate lifetimes are set and
// capped in days (CA/Browser Forum: 398), so the option reads the same way
// instead of as hours of a Go duration.
type Days int

// UnmarshalYAML accepts 398 or "398d".
func (d *Days) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected a number of days such as 398 or \"398d\"")
	}
	s := strings.TrimSuffix(strings.TrimSpace(n.Value), "d")
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 {
		return fmt.Errorf("bad number of days %q: expected a whole number such as 398 or \"398d\"", n.Value)
	}
	*d = Days(v)
	return nil
}

// Duration is d as a time.Duration.
func (d Days) Duration() time.Duration { return time.Duration(d) * 24 * time.Hour }
