package checks

import "time"

// Type is the type of an observation, as `expect:` expressions see it.
// The loader type-checks every expression against the kind's declared
// observations, so a misspelt name or a comparison of a duration with a
// string is an invalid checklist (exit 3), not a failing target.
type Type string

const (
	TypeInt      Type = "int"
	TypeFloat    Type = "float"
	TypeBool     Type = "bool"
	TypeString   Type = "string"
	TypeDuration Type = "duration"
	TypeTime     Type = "time"
	TypeList     Type = "list"
	TypeMap      Type = "map"
	TypeAny      Type = "any"
)

// Observation declares one named value a kind measures. A dotted name
// ("migrations.version") declares a field of a map observation.
type Observation struct {
	Name string
	Type Type
	Doc  string
	// Key marks the observations shown beside a failing item in the text
	// report (a load test: rps, p95, p99, error_rate).
	Key bool
}

// Lengthy is implemented by a probe whose attempt cannot finish in less
// than a known time (a load test's duration plus ramp-up, a rate-limit
// window). The loader gives an item without an explicit timeout one that
// fits, and refuses an explicit timeout that cannot.
type Lengthy interface {
	MinDuration() time.Duration
}

// Intrusive is implemented by a probe that, as configured, sends load or
// attack-like traffic (load, rate-limit bursts, injection canaries). Such
// an item runs only against an environment that opted in.
type Intrusive interface {
	Intrusive() bool
}
