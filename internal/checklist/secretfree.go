package checklist

import (
	"sort"
	"strings"

	"github.com/readyctl/readyctl/checks"
)

// checkSecretFree refuses a value taken from ${env:...} in a field a kind
// keeps secret-free (checks.SecretFree: the program an exec item runs), so
// that what runs is always visible in the checklist under review. It runs
// after every item is loaded, when all the secrets are known.
func (l *loader) checkSecretFree(c *Checklist, secrets map[string]bool) {
	if len(secrets) == 0 {
		return
	}
	for _, it := range c.Items() {
		sf, ok := it.Probe.(checks.SecretFree)
		if !ok {
			continue
		}
		fields := sf.SecretFreeFields()
		paths := make([]string, 0, len(fields))
		for p := range fields {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for _, path := range paths {
			if !holdsSecret(fields[path], secrets) {
				continue
			}
			l.item = it.ID
			block := valueNode(it.Raw, it.Kind)
			l.errAt(fieldNode(block, path), 0, it.Kind+"."+path+": comes from ${env:...}: write the program in the checklist, so that a review sees what runs")
			l.item = ""
		}
	}
}

func holdsSecret(v string, secrets map[string]bool) bool {
	for s := range secrets {
		if strings.Contains(v, s) {
			return true
		}
	}
	return false
}
