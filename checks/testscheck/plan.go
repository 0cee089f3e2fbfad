package testscheck

import (
	"strings"

	"github.com/readyctl/readyctl/checks"
)

// Plan: files read (after the test runner, when command: is set), no
// network traffic of readyctl's own.
func (p *Probe) Plan() checks.Plan {
	target := strings.Join(p.Files, ", ")
	if len(p.Command) > 0 {
		target = p.Command[0] + " -> " + target
	}
	return checks.Plan{Target: target}
}
