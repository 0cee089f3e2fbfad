package checks

// Reason codes of the report contract: the short machine code an item
// carries when it did not pass. They live here, in one file, so that
// probes, the runner, sign-off and the renderers speak one vocabulary.
// Kinds may add their own short codes (e.g. "unsafe_role", "too_large").
const (
	// The target answered, wrongly.
	ReasonAssertion = "assertion"

	// Could not check.
	ReasonTimeout           = "timeout"
	ReasonConnectionRefused = "connection_refused"
	ReasonConnectionReset   = "connection_reset"
	ReasonDNS               = "dns"
	ReasonTLS               = "tls"
	ReasonAuth              = "auth"
	ReasonNoData            = "no_data"
	ReasonTooLarge          = "too_large"
	ReasonParse             = "parse" // evidence (JUnit, SARIF) that is not well formed
	ReasonStale             = "stale" // evidence older than max_age
	ReasonConfig            = "config"
	ReasonPanic             = "panic"
	ReasonCanceled          = "canceled"
	ReasonInterrupted       = "interrupted"
	ReasonUnknown           = "error"

	// Not run.
	ReasonNotSelected         = "not_selected"
	ReasonDependency          = "dependency"
	ReasonIntrusiveNotAllowed = "intrusive_not_allowed"
	ReasonUnavailable         = "unavailable" // the probe cannot run here (checks.Unavailable)

	// Passed, but not continuously for --stable-for by the end of --wait.
	ReasonUnstable = "unstable"
	// ReasonNoBaseline: an expectation compares with baseline.NAME and
	// the baseline run has no such value (or there is no baseline).
	ReasonNoBaseline = "no_baseline"

	// Sign-offs.
	ReasonSignoffMissing      = "signoff_missing"
	ReasonSignoffExpired      = "signoff_expired"
	ReasonSignoffStale        = "signoff_stale"
	ReasonSignoffInvalid      = "signoff_invalid"
	ReasonSignoffRejected     = "signoff_rejected"
	ReasonSignoffOtherRelease = "signoff_other_release"
)
