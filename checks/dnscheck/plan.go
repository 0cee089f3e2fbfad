package dnscheck

import "github.com/readyctl/readyctl/checks"

// Plan: one query to one server; over UDP a truncated answer is asked
// again over TCP, so two at worst.
func (p *Probe) Plan() checks.Plan {
	server := p.Server
	if server == "" {
		server = "resolv.conf"
	} else {
		server = withPort(server)
	}
	pl := checks.Plan{Target: p.Name + "@" + server, Requests: 1, Connections: 1}
	if !p.TCP {
		pl.Requests = 2
	}
	return pl
}
