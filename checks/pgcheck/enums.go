package pgcheck

import "github.com/readyctl/readyctl/checks"

// Enums lists the values Validate accepts, for `readyctl schema`.
func (*Probe) Enums() map[string][]string {
	return map[string][]string{
		"expect_role":     {"primary", "replica"},
		"migrations.tool": append([]string{"auto"}, toolNames()...),
	}
}

var _ checks.Enumerated = (*Probe)(nil)
