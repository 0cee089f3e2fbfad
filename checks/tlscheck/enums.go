package tlscheck

import "github.com/readyctl/readyctl/checks"

// Enums lists the values Validate accepts, for `readyctl schema`.
func (*Probe) Enums() map[string][]string {
	return map[string][]string{
		"cipher_policy": {policyInsecure, policyStrict, policyOff},
		"starttls":      {"postgres", "smtp"},
	}
}

var _ checks.Enumerated = (*Probe)(nil)
