package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/readyctl/readyctl/checks"
)

func init() { Register("markdown", renderMarkdown) }

// renderMarkdown writes a table per section, for pull-request comments and
// job summaries. Everything that came from a checklist or a target goes
// through mdEscape: a response body must not inject links, images or HTML
// into a comment.
func renderMarkdown(w io.Writer, r *Report, _ Options) error {
	var b strings.Builder
	verdict := "✅ **READY**"
	if r.Verdict != Ready {
		verdict = "❌ **NOT READY**"
	}
	fmt.Fprintf(&b, "## %s: %s\n\n", mdEscape(r.Checklist.Name), verdict)
	b.WriteString(markdownSummary(r, mdEscape))
	fmt.Fprintf(&b, "\n\nChecklist %s, sha256 `%s`\n", mdEscape(r.Checklist.Path), short(r.Checklist.SHA256))
	blockers := r.Blocking()
	blocked := blockedSet(blockers)
	for _, sec := range r.Sections {
		var items []Item
		for _, it := range r.Items {
			if it.Section == sec.ID && it.Reason != checks.ReasonNotSelected {
				items = append(items, it)
			}
		}
		if len(items) == 0 {
			continue // nothing of it was selected: no table, no 100 %
		}
		sym := symbols[sec.Status]
		switch {
		case problem(sec.Status) && !blocked.sections[sec.ID]:
			sym = symbolWarn
		case !problem(sec.Status) && blocked.sections[sec.ID]:
			sym = symbols[Fail]
		}
		rate := ""
		if sec.Status != Skip {
			rate = fmt.Sprintf(" (%.0f%%)", sec.PassRate*100)
		}
		fmt.Fprintf(&b, "\n### %s %s%s\n\n| | id | item | status | details |\n|---|---|---|---|---|\n", sym, mdEscape(sec.Title), rate)
		for _, it := range items {
			detail := it.Message
			if it.Reason != "" {
				detail = it.Reason + ": " + detail
			}
			status := string(it.Status)
			if problem(it.Status) && !blocked.items[it.ID] {
				status += " (" + it.Severity + ", not blocking)"
			}
			if ch := changeLine(it); ch != "" {
				detail = strings.TrimPrefix(detail+"; change: "+ch, "; ")
			}
			fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s |\n", symbols[it.Status], mdCodeSafe(it.ID), mdEscape(it.Title), status, mdEscape(detail))
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
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", mdEscape(so.Type), mdEscape(role), mdEscape(so.Item), mdEscape(so.Name), date, mdEscape(state))
		}
	}
	if lines := deploymentLines(r); len(lines) > 0 {
		b.WriteString("\n### Deployment\n\n")
		for _, l := range lines {
			fmt.Fprintf(&b, "- %s\n", mdEscape(l))
		}
	}
	if len(blockers) > 0 {
		b.WriteString("\n### Blocking\n\n")
		for _, bl := range blockers {
			fmt.Fprintf(&b, "- %s\n", mdEscape(bl.String()))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdCodeSafe is for ids shown in a code span: the loader allows only
// [a-z0-9-] in ids, anything else (a hand-edited JSON report) is dropped.
func mdCodeSafe(id string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return -1
	}, id)
}

// markdownSummary is the counts line of the Markdown and GitHub step
// summary reports, the environment escaped with escape.
func markdownSummary(r *Report, escape func(string) string) string {
	s := r.Summary
	line := fmt.Sprintf("%d pass · %d fail · %d error · %d skip · %d pending · %d waived — %d items in %s%s%s",
		s.Pass, s.Fail, s.Error, s.Skip, s.Pending, s.Waived, s.Total,
		time.Duration(r.DurationMS)*time.Millisecond, notSelectedNote(r.Items), roundsNote(r.Rounds))
	if r.Environment != "" {
		line += " — environment " + escape(r.Environment)
	}
	return line
}
