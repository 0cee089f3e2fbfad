package execcheck

import "github.com/readyctl/readyctl/checks"

// Plan: one local program, no network traffic of its own.
func (p *Probe) Plan() checks.Plan {
	return checks.Plan{Target: program(p.Command)}
}

func program(argv []string) string {
	if len(argv) == 0 {
		return ""
	}
	return argv[0]
}
