package scancheck

import "github.com/readyctl/readyctl/checks"

// Plan: one file read, or the scanner's program run; no network traffic
// of readyctl's own.
func (p *Probe) Plan() checks.Plan {
	if len(p.Command) > 0 {
		return checks.Plan{Target: p.Command[0]}
	}
	return checks.Plan{Target: p.File}
}
