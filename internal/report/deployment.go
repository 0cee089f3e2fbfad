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

	// Outcome is one of the Outcome* values (an extension of the record
	// agreed between helpers).
	Outcome string `json:"outcome,omitempty"`
	// Watched lists the items probed while COMMAND ran, and IntervalMS
	// how often: outage times are exact to within one interval.
	Watched    []string `json:"watched,omitempty"`
	IntervalMS int64    `json:"interval_ms,omitempty"`
	// Probes and ProbeFailures count the watch's samples: the error count
	// of the deployment window.
	Probes        int `json:"probes,omitempty"`
	ProbeFailures int `json:"probe_failures,omitempty"`
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
	// New is set when Before is 0 and After is not: no percentage exists.
	New bool `json:"new,omitempty"`
}

// Outcomes of a deployment: what happened, decided once by the deploy
// package. Anything but OutcomeDeployed blocks the verdict (see Blocking):
// a deployment that was stopped, failed or rolled back is never READY,
// whatever the checklist says about the system afterwards.
const (
	OutcomeDeployed     = "deployed"      // COMMAND exited 0 and post-deploy converged
	OutcomeStopped      = "stopped"       // pre-deploy not ready: COMMAND not run
	OutcomeFailed       = "failed"        // COMMAND failed, no rollback given
	OutcomeNotConverged = "not_converged" // post-deploy never ready, no rollback given
	OutcomeRolledBack   = "rolled_back"   // --rollback ran
	OutcomeInterrupted  = "interrupted"   // Ctrl-C
)

// BlockDeployment is the reason of the blocker a deployment that did not
// succeed adds.
const BlockDeployment = "deployment"

// SetDeployment attaches the record of a deployment and settles the
// verdict again: it now also depends on the deployment's outcome.
func (r *Report) SetDeployment(d *Deployment) {
	r.Deployment = d
	r.Verdict = NotReady
	if len(r.Blocking()) == 0 {
		r.Verdict = Ready
	}
}

// deploymentBlocker is the run-level blocker of a deployment that did not
// succeed, or nil.
func (r *Report) deploymentBlocker() *Blocker {
	d := r.Deployment
	if d == nil || d.Outcome == "" || d.Outcome == OutcomeDeployed || d.Outcome == OutcomeInterrupted {
		return nil
	}
	msg := d.Reason
	if msg == "" {
		msg = "the deployment " + d.Outcome
	}
	return &Blocker{Reason: BlockDeployment, Message: "deployment " + d.Outcome + ": " + msg}
}
