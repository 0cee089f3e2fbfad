package report

import (
	"fmt"

	"github.com/readyctl/readyctl/checks"
)

// Blocker is one reason a report is not ready.
type Blocker struct {
	Item    string `json:"item,omitempty"`
	Section string `json:"section,omitempty"`
	Role    string `json:"role,omitempty"`
	Status  Status `json:"status,omitempty"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

// Blocking lists every reason the verdict is not ready, by the rules of
// Finish: blocking items that did not pass, sections under their
// min_pass_rate, required approvals that are not valid, an interrupted
// run. Call it on a finished report.
func (r *Report) Blocking() []Blocker {
	var out []Blocker
	if r.Interrupted {
		out = append(out, Blocker{Reason: checks.ReasonInterrupted, Message: "the run was interrupted"})
	}
	for _, it := range r.Items {
		bad := it.Status == Fail || it.Status == Error || it.Status == Pending ||
			(it.Status == Skip && it.Reason == checks.ReasonDependency)
		if bad && Blocks(it.Severity, r.FailOn) {
			out = append(out, Blocker{Item: it.ID, Section: it.Section, Status: it.Status, Reason: it.Reason, Message: it.Message})
		}
	}
	for _, s := range r.Sections {
		if s.MinPassRate != nil && s.Status == Fail && s.PassRate < *s.MinPassRate {
			out = append(out, Blocker{Section: s.ID, Status: Fail, Reason: "min_pass_rate",
				Message: fmt.Sprintf("pass rate %.0f%% under %.0f%%", s.PassRate*100, *s.MinPassRate*100)})
		}
	}
	for _, so := range r.Signoffs {
		if so.Required && so.State != "valid" {
			out = append(out, Blocker{Role: so.Role, Reason: SignoffReason(so.State), Message: so.Role + " approval " + so.State})
		}
	}
	return out
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
