// Package scaffold writes starter checklists for `readyctl init`: a small
// commented template, the seed's full production checklist, or items
// proposed from a Docker Compose file. What it writes always loads; it
// never contacts a service and never copies a secret out of a Compose file.
package scaffold

import (
	_ "embed"
	"fmt"
	"sort"
	"strings"

	readyctl "github.com/readyctl/readyctl"
)

//go:embed templates/minimal.yaml
var minimal []byte

// Templates are the names --template takes, sorted.
func Templates() []string { return []string{"minimal", "seed"} }

// Template returns the named starter checklist.
func Template(name string) ([]byte, error) {
	switch name {
	case "minimal":
		return append([]byte(nil), minimal...), nil
	case "seed":
		return seed(), nil
	}
	return nil, fmt.Errorf("unknown template %q (templates: %s)", name, strings.Join(Templates(), ", "))
}

const editorHint = `# Editors: ` + "`readyctl schema > checklist.schema.json`" + `, then make the first
# line of this file: # yaml-language-server: $schema=checklist.schema.json
`

// seed is the repository's checklist.yaml, without its first line's
// schema path (it points into the repository, not beside the user's file).
func seed() []byte {
	src := string(readyctl.Checklist)
	if first, rest, ok := strings.Cut(src, "\n"); ok && strings.HasPrefix(first, "# yaml-language-server:") {
		src = rest
	}
	return []byte(editorHint + src)
}

// idFor turns a Compose service name into an item id ([a-z0-9][a-z0-9-]*),
// unique among used.
func idFor(name string, used map[string]bool) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	id := strings.TrimRight(b.String(), "-")
	if id == "" {
		id = "service"
	}
	if len(id) > 60 {
		id = strings.TrimRight(id[:60], "-")
	}
	base := id
	for i := 2; used[id]; i++ {
		id = fmt.Sprintf("%s-%d", base, i)
	}
	used[id] = true
	return id
}

// envName turns a service name into an environment variable prefix.
func envName(name string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(name) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	s := strings.Trim(b.String(), "_")
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		s = "SVC_" + s
	}
	return s
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
