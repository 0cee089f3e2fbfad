package redischeck

import "github.com/readyctl/readyctl/checks"

// Plan: one connection, a few read-only commands.
func (p *Probe) Plan() checks.Plan {
	return checks.Plan{Target: p.URL, Connections: 1}
}
