// Package checks is the small public API every probe kind plugs into: the
// Probe interface, the registry of kinds, and the error values a probe uses to
// say "the target answered wrongly" (a failure) or "I could not check" (an
// error, classified into a reason code).
//
// A probe never owns timing, retries or the pass/fail decision on `expect:`
// expressions: the runner does. A probe must never change the system it
// checks.
package checks

import (
	"context"
)

// Observations are the named values a probe measured. Expressions in
// `expect:` are evaluated over them and every report shows them. Use Go
// values that expr-lang and encoding/json both understand: bool, int,
// int64, float64, string, time.Duration, time.Time, []any, map[string]any,
// or nil for "not measured".
type Observations map[string]any

// Probe is one configured check. The value returned by a kind's factory is
// also its configuration: the loader fills it with defaults (the factory),
// decodes the item's YAML block into it strictly, then calls Validate.
type Probe interface {
	// Validate checks the configuration without any I/O. Return a
	// FieldError to point the user at the offending field.
	Validate() error
	// Run does the I/O. It must honour ctx's deadline in every network
	// operation and return whatever it observed even when it fails.
	// A nil error means the probe's own checks passed; Fail(...) means the
	// target answered wrongly; any other error means the check could not
	// be done, and is classified into a reason code by Classify.
	Run(ctx context.Context) (Observations, error)
}
