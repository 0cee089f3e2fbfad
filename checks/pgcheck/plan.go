package pgcheck

import "github.com/readyctl/readyctl/checks"

// Plan: one connection, a few read-only queries.
func (p *Probe) Plan() checks.Plan {
	return checks.Plan{Target: p.DSN, Connections: 1}
}
