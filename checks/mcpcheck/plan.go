package mcpcheck

import "github.com/readyctl/readyctl/checks"

// Plan: initialize, initialized, tools/list and the session's close (or
// the stdio server started), plus the one tools/call when call: is set.
func (p *Probe) Plan() checks.Plan {
	pl := checks.Plan{Target: p.URL, Requests: 4, Connections: 1}
	if len(p.Command) > 0 {
		// The program only: its arguments may carry what the report masks.
		pl.Target = p.Command[0]
	}
	if p.Call != nil {
		pl.Requests++
		pl.Writes = p.Writes // a call to a tool that may change things
	}
	return pl
}
