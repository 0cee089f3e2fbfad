package signoff

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/readyctl/readyctl/internal/checklist"
)

// operational item fields: they change how and when an item is run, not
// what a person claims about it, so they stay out of its digest.
var operational = map[string]bool{
	"tags": true, "phase": true, "severity": true, "timeout": true,
	"retries": true, "retry_delay": true, "depends_on": true,
}

// ItemDigest is the sha256 (hex) of the item's definition as written
// (before interpolation), in a canonical form: JSON with sorted keys, so
// that reformatting, comments, key order, anchors and quoting do not
// matter, while any change to its id, title, description, or its probe or
// manual block does. Operational fields (tags, phase, severity, timeout,
// retries, retry_delay, depends_on) are left out.
func ItemDigest(it *checklist.Item) (string, error) {
	if it.Raw == nil {
		return "", fmt.Errorf("item %q: no definition to digest", it.ID)
	}
	// canonical follows aliases: bound it by the loader's node budget.
	if err := checklist.CheckNodes(it.Raw, checklist.MaxNodes); err != nil {
		return "", fmt.Errorf("item %q: %w", it.ID, err)
	}
	v, err := canonical(it.Raw, 0)
	if err != nil {
		return "", fmt.Errorf("item %q: %w", it.ID, err)
	}
	if m, ok := v.(map[string]any); ok {
		for k := range m {
			if operational[k] {
				delete(m, k)
			}
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("item %q: %w", it.ID, err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// mayNotDigest says whether ItemDigest of an item written as raw may
// fail: it is false only when a walk without allocation sees a tree
// (no alias) within the node budget and canonical's depth, where it
// cannot; Judge computes only what may fail, for its error.
func mayNotDigest(raw *yaml.Node) bool {
	if raw == nil {
		return true
	}
	nodes := 0
	var walk func(n *yaml.Node, depth int) bool
	walk = func(n *yaml.Node, depth int) bool {
		nodes += 1 + len(n.Content)
		if depth > maxCanonicalDepth || nodes > checklist.MaxNodes || n.Kind == yaml.AliasNode {
			return true
		}
		switch n.Kind {
		case yaml.DocumentNode:
			if len(n.Content) > 0 {
				return walk(n.Content[0], depth+1)
			}
		case yaml.SequenceNode:
			for _, c := range n.Content {
				if walk(c, depth+1) {
					return true
				}
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				// canonical reads a key's text only; an alias there is
				// still an alias.
				if n.Content[i].Kind == yaml.AliasNode || walk(n.Content[i+1], depth+1) {
					return true
				}
			}
		}
		return false
	}
	return walk(raw, 0)
}

// maxCanonicalDepth is how deep canonical goes before it refuses.
const maxCanonicalDepth = 100

// canonical turns a YAML node into plain values whose JSON encoding is
// canonical (encoding/json sorts map keys).
func canonical(n *yaml.Node, depth int) (any, error) {
	if depth > maxCanonicalDepth {
		return nil, fmt.Errorf("definition nested too deeply")
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return canonical(n.Content[0], depth+1)
	case yaml.AliasNode:
		return canonical(n.Alias, depth+1)
	case yaml.SequenceNode:
		out := make([]any, len(n.Content))
		for i, c := range n.Content {
			v, err := canonical(c, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case yaml.MappingNode:
		out := map[string]any{}
		var merges []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Tag == "!!merge" {
				merges = append(merges, v)
				continue
			}
			cv, err := canonical(v, depth+1)
			if err != nil {
				return nil, err
			}
			out[k.Value] = cv
		}
		// Merged keys (<<: *anchor) lose to the mapping's own keys.
		for _, m := range merges {
			mv, err := canonical(m, depth+1)
			if err != nil {
				return nil, err
			}
			maps := []any{mv}
			if l, ok := mv.([]any); ok {
				maps = l
			}
			for _, x := range maps {
				mm, ok := x.(map[string]any)
				if !ok {
					continue
				}
				keys := make([]string, 0, len(mm))
				for k := range mm {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				for _, k := range keys {
					if _, own := out[k]; !own {
						out[k] = mm[k]
					}
				}
			}
		}
		return out, nil
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return n.Value, nil
		}
		switch x := v.(type) {
		case time.Time:
			return x.UTC().Format(time.RFC3339Nano), nil
		case float64:
			if math.IsInf(x, 0) || math.IsNaN(x) {
				return n.Value, nil
			}
		}
		return v, nil
	}
	return nil, nil
}
