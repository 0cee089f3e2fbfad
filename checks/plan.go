package checks

import "time"

// Plan is what one attempt of a probe will send, worked out from its
// configuration alone, with no I/O: `readyctl plan` prints it so nobody
// is surprised by the traffic of a run.
type Plan struct {
	// Target is where the traffic goes (a URL, host:port or DSN), before
	// secrets are masked by the caller.
	Target string
	// Requests is the worst-case number of requests or queries, 0 when
	// unknown; Connections the most opened at once.
	Requests    int
	Connections int
	// Duration is how long the probe sends, at most, when that is set by
	// its configuration (a load test, a rate-limit window); 0 = as long as
	// the answers take.
	Duration time.Duration
	// Writes: the checklist allowed this probe to change the target
	// (`writes: true` on a flow or an MCP call); plan shows it.
	Writes bool
}

// Defaulter is implemented by a configuration type used as a list
// element of a probe block (a flow's steps): the loader calls Defaults on
// each new element before decoding onto it, as the kind's factory does
// for the block itself.
type Defaulter interface {
	Defaults()
}

// Planner is implemented by a probe that can say what it will send.
type Planner interface {
	Plan() Plan
}

// Exclusive is implemented by a probe that, as configured, must run alone
// (a load test): nothing else runs meanwhile, or every threshold would
// measure readyctl's own noise. An item's `exclusive:` overrides it.
type Exclusive interface {
	Exclusive() bool
}

// Unavailable is implemented by a probe that cannot run where readyctl
// runs (the demo wraps probes whose server binary is missing): the runner
// skips it with ReasonUnavailable and this message.
type Unavailable interface {
	Unavailable() string
}
