package promcheck

import "github.com/readyctl/readyctl/checks"

// Plan: a few API requests to one server.
func (p *Probe) Plan() checks.Plan {
	return checks.Plan{Target: p.URL, Connections: 1}
}
