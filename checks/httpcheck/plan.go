package httpcheck

import (
	"github.com/readyctl/readyctl/checks"
)

// Intrusive: rate-limit bursts and injection canaries look like an attack
// and may trip alarms or limits; an environment opts in to them.
func (p *Probe) Intrusive() bool { return p.RateLimit != nil || p.Injection != nil }

// Plan counts the main request and every block's extra requests.
func (p *Probe) Plan() checks.Plan {
	pl := checks.Plan{Target: p.URL, Requests: 1, Connections: 1}
	if p.MaxRedirects > 0 && p.FollowRedirects {
		pl.Requests += p.MaxRedirects
	}
	if p.HTTPSRedirect {
		pl.Requests++
	}
	if p.CORS != nil {
		pl.Requests += 2
	}
	if p.RequestID != nil {
		pl.Requests++
	}
	if p.AuthRequired {
		pl.Requests += 3
	}
	if p.Injection != nil {
		pl.Requests += len(p.Injection.Params)
	}
	if r := p.RateLimit; r != nil {
		pl.Requests += r.Requests
		pl.Connections = maxInFlight
		pl.Duration = r.Within
	}
	return pl
}
