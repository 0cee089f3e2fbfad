package report

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/readyctl/readyctl/checks"
)

// Blocker is one reason a report is not ready. Exactly one of Item,
// Section and Role is set for an item, a section gate or a required
// approval; none for run-level reasons (interrupted, nothing selected).
type Blocker struct {
	Item    string `json:"item,omitempty"`
	Section string `json:"section,omitempty"`
	Role    string `json:"role,omitempty"`
	Status  Status `json:"status,omitempty"`
	Reason  string `json:"reason"`
	// Message says why in a few words: "status was 503",
	// "qa-lead approval missing".
	Message string `json:"message"`
}

// Reasons of run-level and section blockers (item blockers carry the
// item's own reason code).
const (
	BlockMinPassRate     = "min_pass_rate"
	BlockNothingSelected = "nothing_selected"
	BlockNoItems         = "no_items"
)

// String is the blocker on one line: "auth-service: status was 503".
func (b Blocker) String() string {
	switch {
	case b.Item != "":
		return b.Item + ": " + b.Message
	case b.Section != "":
		return "section " + b.Section + ": " + b.Message
	}
	return b.Message
}

// Blocking returns every reason the report is not ready, in a stable
// order: selection, items (checklist order), section gates, required
// approvals, interruption. Finish sets the verdict from it, so the verdict
// is ready exactly when Blocking is empty; approve, --wait and the
// renderers ask it rather than re-deciding.
func (r *Report) Blocking() []Blocker {
	var out []Blocker
	switch {
	case len(r.Items) == 0:
		out = append(out, Blocker{Reason: BlockNoItems, Message: "the checklist has no items"})
	case nothingSelected(r.Items):
		out = append(out, Blocker{Reason: BlockNothingSelected, Message: "no item selected" + r.Selection.describe()})
	}
	for _, it := range r.Items {
		if ItemBlocks(it, r.FailOn) {
			reason := it.Reason
			if reason == "" {
				reason = string(it.Status)
			}
			out = append(out, Blocker{Item: it.ID, Section: it.Section, Status: it.Status, Reason: reason, Message: brief(it)})
		}
	}
	for _, s := range r.Sections {
		if s.MinPassRate != nil && s.Status == Fail && s.PassRate < *s.MinPassRate {
			out = append(out, Blocker{Section: s.ID, Status: Fail, Reason: BlockMinPassRate,
				Message: fmt.Sprintf("%s passed, needs %s", percent(s.PassRate), percent(*s.MinPassRate))})
		}
	}
	roles := 0
	for _, so := range r.Signoffs {
		if !so.Required || (so.State == "valid" && so.Decision != "rejected") {
			continue
		}
		roles++
		out = append(out, approvalBlocker(so))
	}
	if r.approvalsUnmet && roles == 0 {
		// The sign-off layer said no without marking which rows are
		// required: name the missing approvals it listed, or say it plainly.
		for _, so := range r.Signoffs {
			if so.Type == "approve" && so.Item == "" && so.State == "missing" {
				roles++
				out = append(out, approvalBlocker(so))
			}
		}
		if roles == 0 {
			out = append(out, Blocker{Reason: checks.ReasonSignoffMissing, Message: "a required approval is missing"})
		}
	}
	if b := r.deploymentBlocker(); b != nil {
		out = append(out, *b)
	}
	if r.Interrupted {
		out = append(out, Blocker{Reason: checks.ReasonInterrupted, Message: "the run was interrupted"})
	}
	return out
}

// ItemBlocks reports whether an item's outcome blocks the verdict under
// failOn: a blocking severity that failed, errored, is pending, or was left
// unchecked because a dependency did not pass.
func ItemBlocks(it Item, failOn string) bool {
	if !Blocks(it.Severity, failOn) {
		return false
	}
	switch it.Status {
	case Fail, Error, Pending:
		return true
	case Skip:
		// Left unchecked: its dependency did not pass, or what it needs
		// (a server binary) is not there. Neither is a pass.
		return it.Reason == checks.ReasonDependency || it.Reason == checks.ReasonUnavailable
	}
	return false
}

func approvalBlocker(so Signoff) Blocker {
	state, reason := so.State, SignoffReason(so.State)
	switch {
	case so.Decision == "rejected":
		state, reason = "rejected", checks.ReasonSignoffRejected
	case so.State == "":
		state = "missing"
	}
	return Blocker{Role: so.Role, Status: Pending, Reason: reason, Message: so.Role + " approval " + state}
}

// nothingSelected: every item was filtered out, so nothing was checked.
func nothingSelected(items []Item) bool {
	for _, it := range items {
		if it.Reason != checks.ReasonNotSelected {
			return false
		}
	}
	return len(items) > 0
}

func (s *Selection) describe() string {
	if s == nil {
		return ""
	}
	var parts []string
	if s.Phase != "" {
		parts = append(parts, "--phase "+s.Phase)
	}
	for _, f := range []struct {
		flag string
		v    []string
	}{{"--only", s.Only}, {"--tags", s.Tags}, {"--skip", s.Skip}, {"--exclude-tags", s.ExcludeTags}} {
		if len(f.v) > 0 {
			parts = append(parts, f.flag+" "+strings.Join(f.v, ","))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " by " + strings.Join(parts, " ")
}

func percent(f float64) string { return fmt.Sprintf("%.0f%%", f*100) }

// briefMax bounds a blocker's message: it is a status line, not a log.
const briefMax = 80

// brief cuts an item's message down to its point: the first clause, after
// the expression or address that introduces it ("status == 200: status was
// 503" -> "status was 503"); for a sign-off, before the hint that follows.
func brief(it Item) string {
	m := it.Message
	if m == "" {
		if it.Reason != "" {
			return string(it.Status) + " (" + it.Reason + ")"
		}
		return string(it.Status)
	}
	m, _, _ = strings.Cut(m, "; ")
	switch {
	case it.Status == Pending || strings.HasPrefix(it.Reason, "signoff_"):
		// "waiting for a sign-off by qa-lead: readyctl signoff ...": the
		// why comes first, the hint after.
		m, _, _ = strings.Cut(m, ": ")
	default:
		if i := strings.LastIndex(m, ": "); i >= 0 && i+2 < len(m) {
			m = m[i+2:]
		}
	}
	m = strings.Join(strings.Fields(m), " ")
	if utf8.RuneCountInString(m) > briefMax {
		m = string([]rune(m)[:briefMax-1]) + "…"
	}
	return m
}

// SignoffReason is the reason code of a sign-off that does not count, by
// its state.
func SignoffReason(state string) string {
	switch state {
	case "expired":
		return checks.ReasonSignoffExpired
	case "stale":
		return checks.ReasonSignoffStale
	case "invalid":
		return checks.ReasonSignoffInvalid
	case "other_release":
		return checks.ReasonSignoffOtherRelease
	}
	return checks.ReasonSignoffMissing
}
