package report

import (
	"fmt"
	"io"
	"strings"
	"time"
)

func init() { Register("markdown", renderMarkdown) }

// renderMarkdown writes a table per section, for pull-request comments and
// job summaries.
func renderMarkdown(w io.Writer, r *Report, _ Options) error {
	var b strings.Builder
	verdict := "✅ **READY**"
	if r.Verdict != Ready {
		verdict = "❌ **NOT READY**"
	}
	fmt.Fprintf(&b, "## %s: %s\n\n", mdEscape(r.Checklist.Name), verdict)
	s := r.Summary
	fmt.Fprintf(&b, "%d pass · %d fail · %d error · %d skip · %d pending · %d waived — %d items in %s",
		s.Pass, s.Fail, s.Error, s.Skip, s.Pending, s.Waived, s.Total, time.Duration(r.DurationMS)*time.Millisecond)
	if r.Environment != "" {
		fmt.Fprintf(&b, " — environment `%s`", r.Environment)
	}
	fmt.Fprintf(&b, "\n\nChecklist `%s`, sha256 `%s`\n", r.Checklist.Path, short(r.Checklist.SHA256))
	for _, sec := range r.Sections {
		fmt.Fprintf(&b, "\n### %s %s (%.0f%%)\n\n| | id | item | status | details |\n|---|---|---|---|---|\n", symbols[sec.Status], mdEscape(sec.Title), sec.PassRate*100)
		for _, it := range r.Items {
			if it.Section != sec.ID {
				continue
			}
			detail := it.Message
			if it.Reason != "" {
				detail = it.Reason + ": " + detail
			}
			fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s |\n", symbols[it.Status], it.ID, mdEscape(it.Title), it.Status, mdEscape(detail))
		}
	}
	if len(r.Signoffs) > 0 {
		b.WriteString("\n### Sign-offs\n\n| type | role | item | name | date | state |\n|---|---|---|---|---|---|\n")
		for _, so := range r.Signoffs {
			date := ""
			if !so.Date.IsZero() {
				date = so.Date.UTC().Format("2006-01-02")
			}
			role, state := so.Role, so.State
			if so.RoleTitle != "" {
				role = so.RoleTitle
			}
			if so.Reason != "" {
				state += ": " + so.Reason
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", so.Type, mdEscape(role), so.Item, mdEscape(so.Name), date, mdEscape(state))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mdEscape(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}
