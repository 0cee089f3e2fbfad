package loadcheck

import (
	"time"

	"github.com/readyctl/readyctl/checks"
)

// MinDuration is the least time an attempt needs: warmup plus duration,
// or warmup plus requests at rate. The loader gives an item without an
// explicit timeout one that fits, and refuses an explicit one that cannot.
func (p *Probe) MinDuration() time.Duration {
	d, _ := p.plannedLength()
	return d
}

var _ checks.Lengthy = (*Probe)(nil)
