package httpcheck

import "github.com/readyctl/readyctl/checks"

// Enums lists the values Validate accepts, for `readyctl schema` (it
// also accepts them in upper case; editors offer the canonical form).
func (*Probe) Enums() map[string][]string {
	return map[string][]string{"security_headers": {levelBaseline, levelStrict}}
}

var _ checks.Enumerated = (*Probe)(nil)
