package httpcheck

import (
	"time"

	"github.com/readyctl/readyctl/checks"
)

// MinDuration is the least time an attempt needs: rate_limit spreads its
// burst over within, after the main request.
func (p *Probe) MinDuration() time.Duration {
	if p.RateLimit != nil {
		return p.RateLimit.Within
	}
	return 0
}

var _ checks.Lengthy = (*Probe)(nil)
