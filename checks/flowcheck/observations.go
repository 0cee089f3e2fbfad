package flowcheck

import "github.com/readyctl/readyctl/checks"

// observations are what an item's `expect:` can use (a step's own
// `expect:` sees that step's http observations instead).
var observations = []checks.Observation{
	{Name: "steps", Type: checks.TypeList, Doc: "the steps that ran, in order: {name, status, latency} each (status nil when no answer)"},
	{Name: "step", Type: checks.TypeMap, Doc: `the same by step name (or number when unnamed), e.g. step.login.latency < duration("300ms")`},
	{Name: "cleanup", Type: checks.TypeList, Doc: "the cleanup steps that ran: {name, status, latency, error} each"},
	{Name: "latency", Type: checks.TypeDuration, Doc: "from the first request to the end of the last step (cleanup not included)", Key: true},
	{Name: "failed_step", Type: checks.TypeAny, Doc: "the name (or number) of the step that failed, nil when every step passed", Key: true},
	{Name: "captures", Type: checks.TypeMap, Doc: "captured values by name; one that looks like a credential (a JWT, a cookie, a token-named value) is *** here and masked in every output"},
	{Name: "writes", Type: checks.TypeBool, Doc: "the flow was allowed to change the target (writes: true)"},
}
