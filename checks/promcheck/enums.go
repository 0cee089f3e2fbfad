package promcheck

import "github.com/readyctl/readyctl/checks"

// Enums lists the values Validate accepts, for `readyctl schema`.
func (*Probe) Enums() map[string][]string {
	return map[string][]string{"alerts.firing": {"none", "any"}}
}

var _ checks.Enumerated = (*Probe)(nil)
