package redischeck

import (
	"sort"

	"github.com/readyctl/readyctl/checks"
)

// Enums lists the values Validate accepts, for `readyctl schema`.
func (*Probe) Enums() map[string][]string {
	types := make([]string, 0, len(keyTypes))
	for t := range keyTypes {
		types = append(types, t)
	}
	sort.Strings(types)
	return map[string][]string{"expect_role": expectRoles, "key.type": types}
}

var _ checks.Enumerated = (*Probe)(nil)
