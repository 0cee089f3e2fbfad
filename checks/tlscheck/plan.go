package tlscheck

import "github.com/readyctl/readyctl/checks"

// Plan: connections to one address.
func (p *Probe) Plan() checks.Plan {
	return checks.Plan{Target: p.Address, Connections: 1}
}
