package loadcheck

import (
	"time"

	"github.com/readyctl/readyctl/checks"
)

// Intrusive: a load test is the traffic an environment must opt in to.
func (p *Probe) Intrusive() bool { return true }

// Exclusive: a load test runs alone unless the item says otherwise.
func (p *Probe) Exclusive() bool { return true }

// Plan is the worst case: at rate, every due request; closed model, at
// most one request per connection per millisecond is not a bound worth
// printing, so Requests is 0 (unknown) unless requests or rate fix it.
func (p *Probe) Plan() checks.Plan {
	pl := checks.Plan{Target: p.URL, Connections: p.Connections, Duration: p.Warmup + p.Duration}
	switch {
	case p.Requests > 0:
		pl.Requests = p.Requests
	case p.Rate > 0:
		pl.Requests = int(p.Rate * (p.Warmup + p.Duration).Seconds())
	}
	if p.Requests > 0 && p.Rate > 0 {
		pl.Duration = p.Warmup + time.Duration(float64(p.Requests)/p.Rate*float64(time.Second))
	}
	return pl
}
