// Package report holds the result of a run (the model every output is made
// from), computes the verdict once, and renders the model in named formats.
// Renderers only render: they never decide the verdict or an exit code.
package report

import "time"

// Schema identifies the JSON report format.
const Schema = "readyctl.report/v1"

// Status of one item.
type Status string

const (
	Pass    Status = "pass"
	Fail    Status = "fail"
	Error   Status = "error"
	Skip    Status = "skip"
	Pending Status = "pending"
	Waived  Status = "waived"
)

// Verdicts.
const (
	Ready    = "ready"
	NotReady = "not_ready"
)

// Report is one run of a checklist.
type Report struct {
	Schema      string        `json:"schema"`
	Checklist   ChecklistInfo `json:"checklist"`
	Environment string        `json:"environment"`
	StartedAt   time.Time     `json:"started_at"`
	DurationMS  int64         `json:"duration_ms"`
	Verdict     string        `json:"verdict"`
	Summary     Summary       `json:"summary"`
	Sections    []Section     `json:"sections"`
	Items       []Item        `json:"items"`
	Signoffs    []Signoff     `json:"signoffs"`
	// Interrupted is set when SIGINT/SIGTERM or --timeout cut the run
	// short; the items that did not finish say so.
	Interrupted bool `json:"interrupted,omitempty"`
	// FailOn is the lowest severity that blocks ("critical" or "warning").
	FailOn string `json:"fail_on,omitempty"`
	// Selection records what --phase/--only/--tags/--skip/--exclude-tags
	// asked for; nil when nothing was filtered.
	Selection *Selection `json:"selection,omitempty"`
	// Rounds is how many rounds a --wait run took.
	Rounds int `json:"rounds,omitempty"`
	// Release is the release the run checked (--release, else the commit
	// checked out beside the checklist); approvals count only for it.
	Release string `json:"release,omitempty"`
	// Deployment is the record of a `readyctl deploy` run; nil otherwise.
	Deployment *Deployment `json:"deployment,omitempty"`
	// Baseline is the earlier run this one was compared with (--baseline,
	// or the pre-deploy phase of a deployment); nil otherwise.
	Baseline *BaselineInfo `json:"baseline,omitempty"`

	// approvalsUnmet is set by Finish when the sign-off layer said a
	// run-level requirement is unmet without a Required row explaining it.
	approvalsUnmet bool
}

// Selection is what a run was asked to check.
type Selection struct {
	Phase       string   `json:"phase,omitempty"`
	Only        []string `json:"only,omitempty"`
	Tags        []string `json:"tags,omitempty"`
	Skip        []string `json:"skip,omitempty"`
	ExcludeTags []string `json:"exclude_tags,omitempty"`
}

// ChecklistInfo identifies exactly which checklist was run.
type ChecklistInfo struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// Summary counts items by status.
type Summary struct {
	Total   int `json:"total"`
	Pass    int `json:"pass"`
	Fail    int `json:"fail"`
	Error   int `json:"error"`
	Skip    int `json:"skip"`
	Pending int `json:"pending"`
	Waived  int `json:"waived"`
}

// Section is a section's outcome.
type Section struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	PassRate    float64  `json:"pass_rate"`
	Status      Status   `json:"status"`
	MinPassRate *float64 `json:"min_pass_rate,omitempty"`
}

// Item is one item's outcome.
type Item struct {
	ID           string         `json:"id"`
	Section      string         `json:"section"`
	Title        string         `json:"title"`
	Kind         string         `json:"kind"`
	Severity     string         `json:"severity"`
	Status       Status         `json:"status"`
	Reason       string         `json:"reason"`
	Message      string         `json:"message"`
	DurationMS   int64          `json:"duration_ms"`
	Attempts     int            `json:"attempts"`
	Observations map[string]any `json:"observations"`
	// Key names the observations the item's kind marks as key (dotted for
	// a field of a map: "migrations.version"); the text report shows them
	// first beside a problem. Not part of the JSON contract.
	Key []string `json:"-"`
	// Waiver or sign-off details, when one applies.
	Signoff *Signoff `json:"signoff,omitempty"`
	// FirstPassMS is when (ms after the start) the item first passed, in
	// --wait runs.
	FirstPassMS int64 `json:"first_pass_ms,omitempty"`
	// File and Line are where the item's `id:` is written, so CI
	// annotations can point at the line to fix. Not part of the JSON
	// contract: a report read back has no checklist to point into.
	File string `json:"-"`
	Line int    `json:"-"`
	// Changes is how each numeric observation moved against the baseline
	// run's item of the same id (durations in milliseconds).
	Changes map[string]Change `json:"changes,omitempty"`
}

// Signoff is one person's attestation, approval or waiver as it stands in
// this run.
type Signoff struct {
	Type    string    `json:"type"` // attest, approve, waive
	Item    string    `json:"item,omitempty"`
	Role    string    `json:"role"`
	Name    string    `json:"name"`
	Email   string    `json:"email,omitempty"`
	Date    time.Time `json:"date,omitzero"`
	Expires time.Time `json:"expires,omitzero"`
	State   string    `json:"state"` // valid, missing, expired, stale, invalid, other_release
	Reason  string    `json:"reason,omitempty"`
	Note    string    `json:"note,omitempty"`
	// RoleTitle is the role's title from the checklist (e.g. QA Lead).
	RoleTitle string `json:"role_title,omitempty"`
	// Decision is "rejected" when the person answered no.
	Decision string `json:"decision,omitempty"`
	// Key is the fingerprint of the key that signed the record, verified.
	Key string `json:"key,omitempty"`
	// Record is the file the sign-off was read from.
	Record string `json:"record,omitempty"`
	// Required is set on the rows of roles the policy requires
	// (signoff.require): such a row that is not valid blocks the verdict.
	Required bool `json:"required,omitempty"`
}

// Blocks reports whether an item of this severity blocks the verdict under
// failOn ("critical", the default, or "warning").
func Blocks(severity, failOn string) bool {
	switch severity {
	case "critical":
		return true
	case "warning":
		return failOn == "warning"
	}
	return false
}

// Finish computes the summary, section outcomes and the verdict from the
// items. It is the one place the verdict is decided, and it decides it by
// Blocking(): ready exactly when nothing blocks. requirementsMet is false
// when a run-level requirement (such as a required sign-off) is missing.
func (r *Report) Finish(sections []Section, requirementsMet bool) {
	r.Schema = Schema
	r.Summary = Summary{Total: len(r.Items)}
	for _, it := range r.Items {
		switch it.Status {
		case Pass:
			r.Summary.Pass++
		case Fail:
			r.Summary.Fail++
		case Error:
			r.Summary.Error++
		case Skip:
			r.Summary.Skip++
		case Pending:
			r.Summary.Pending++
		case Waived:
			r.Summary.Waived++
		}
	}
	// Each section's items counted in one pass over the items, not one
	// pass per section (issue 16).
	tallies := make(map[string]*sectionTally, len(sections))
	for _, s := range sections {
		tallies[s.ID] = &sectionTally{worst: Skip}
	}
	for i := range r.Items {
		if t := tallies[r.Items[i].Section]; t != nil {
			t.add(r.Items[i].Status)
		}
	}
	r.Sections = make([]Section, 0, len(sections))
	for _, s := range sections {
		r.Sections = append(r.Sections, tallies[s.ID].outcome(s))
	}
	if r.Signoffs == nil {
		r.Signoffs = []Signoff{}
	}
	r.approvalsUnmet = !requirementsMet
	r.Verdict = NotReady
	if len(r.Blocking()) == 0 {
		r.Verdict = Ready
	}
}

// sectionTally counts a section's items as Finish meets them.
type sectionTally struct {
	counted, passed int
	worst           Status
}

// statusRank orders statuses from best to worst for a section's status.
var statusRank = map[Status]int{Skip: 0, Pass: 1, Waived: 2, Pending: 3, Fail: 4, Error: 5}

func (t *sectionTally) add(st Status) {
	if st == Skip {
		return
	}
	t.counted++
	if st == Pass || st == Waived {
		t.passed++
	}
	if statusRank[st] > statusRank[t.worst] {
		t.worst = st
	}
}

// outcome is the section's pass rate and status from its items' tally.
func (t *sectionTally) outcome(s Section) Section {
	counted, passed, worst := t.counted, t.passed, t.worst
	s.PassRate = 1
	if counted > 0 {
		s.PassRate = float64(passed) / float64(counted)
	}
	switch {
	case counted == 0:
		s.Status = Skip
	case s.MinPassRate != nil:
		s.Status = Pass
		if s.PassRate < *s.MinPassRate {
			s.Status = Fail
		}
	case worst == Waived:
		s.Status = Pass
	default:
		s.Status = worst
	}
	return s
}
