package report

import "time"

// Deployment is the record of one `readyctl deploy`: what the deployment
// cost (duration, downtime, per-item outages), whether it was rolled back
// and why, what was left failing, and how performance moved against the
// pre-deploy baseline. The deploy package measures it; renderers only show it.
type Deployment struct {
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	// Command is the deploy command as run, with secrets masked.
	Command string `json:"command,omitempty"`
	// ExitCode is the deploy command's exit code; nil when it never ran
	// (pre-deploy not ready) or did not exit (interrupted, not started).
	ExitCode   *int     `json:"exit_code,omitempty"`
	DurationMS int64    `json:"duration_ms"`
	DowntimeMS int64    `json:"downtime_ms"`
	Outages    []Outage `json:"outages"`
	// ConvergedMS is when, in ms after COMMAND ended, the post-deploy
	// phase was ready; nil when it never was.
	ConvergedMS        *int64 `json:"converged_ms,omitempty"`
	RolledBack         bool   `json:"rolled_back"`
	RollbackDurationMS int64  `json:"rollback_duration_ms"`
	RollbackExitCode   *int   `json:"rollback_exit_code,omitempty"`
	Issues             Issues `json:"issues"`
	// PerformanceChange is keyed "ITEM.OBS" (key observations of items
	// both the baseline and this run measured).
	PerformanceChange map[string]Change `json:"performance_change"`
	UserImpact        *float64          `json:"user_impact,omitempty"`
	// Reason says in words why the deployment rolled back or stopped.
	Reason string `json:"reason,omitempty"`
}

// Outage is one window in which a watched item failed: from its first
// failing probe to the first passing one after it (End is zero while it
// lasts, e.g. when interrupted).
type Outage struct {
	Item  string    `json:"item"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Issues counts the items failing after the deployment, by severity.
type Issues struct {
	Critical int `json:"critical"`
	Warning  int `json:"warning"`
	Info     int `json:"info"`
}

// Change is one numeric observation before and after; Percent is
// (After-Before)/Before*100 (0 when Before is 0 and After is too).
type Change struct {
	Before  float64 `json:"before"`
	After   float64 `json:"after"`
	Percent float64 `json:"percent"`
}
