package report

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/readyctl/readyctl/checks"
)

// GitHub Actions output: workflow-command annotations that point at the
// checklist line of each problem, and a compact Markdown step summary.
// Both are made from the finished report (already redacted) and decide
// nothing: what blocks is Blocking()'s answer.

// GitHubOptions say how paths look from GitHub's side: annotations name
// files relative to the repository checkout.
type GitHubOptions struct {
	// Workspace is $GITHUB_WORKSPACE; "" leaves paths as the report has them.
	Workspace string
	// WorkDir is the directory relative checklist paths are relative to.
	WorkDir string
}

// GitHub shows at most 10 error and 10 warning annotations per step and
// drops the rest silently; past that, the last one of a level says how
// many more there are, so the count is never lost.
const githubAnnotationsPerLevel = 10

// waiverSoon is how close to its expiry a waiver is worth a warning.
const waiverSoon = 7 * 24 * time.Hour

// annotationMax bounds one annotation's message (runes).
const annotationMax = 1000

type annotation struct {
	level, file, title, msg string
	line                    int
}

// WriteGitHubAnnotations writes one ::error per blocker and one ::warning
// per problem that does not block (a failing or pending item below
// --fail-on, a waiver about to expire).
func WriteGitHubAnnotations(w io.Writer, r *Report, o GitHubOptions) error {
	blockers := r.Blocking()
	blocked := blockedSet(blockers)
	items := make(map[string]Item, len(r.Items))
	for _, it := range r.Items {
		items[it.ID] = it
	}
	checklistFile := o.path(r.Checklist.Path)
	var errs, warns []annotation
	// Failures before what only waits, in case the cap cuts the list.
	for _, b := range orderBlockers(blockers) {
		a := annotation{level: "error", file: checklistFile, msg: b.Message}
		switch {
		case b.Item != "":
			it := items[b.Item]
			a.file, a.line, a.title, a.msg = o.path(it.File), it.Line, it.ID, itemProblem(it)
		case b.Section != "":
			a.title = "section " + b.Section
		case b.Role != "":
			a.title = b.Role + " approval"
		default:
			a.title = b.Reason
		}
		errs = append(errs, a)
	}
	soon := r.StartedAt.Add(waiverSoon)
	for _, it := range r.Items {
		a := annotation{level: "warning", file: o.path(it.File), line: it.Line, title: it.ID}
		switch {
		case blocked.items[it.ID] || it.Reason == checks.ReasonNotSelected:
			continue
		case problem(it.Status) || (it.Status == Skip && (it.Reason == checks.ReasonDependency || it.Reason == checks.ReasonUnavailable)):
			a.msg = itemProblem(it) + " (" + it.Severity + ", does not block)"
		case it.Status == Waived && it.Signoff != nil && !it.Signoff.Expires.IsZero() && it.Signoff.Expires.Before(soon):
			a.msg = fmt.Sprintf("waived until %s, then it blocks again: %s", it.Signoff.Expires.UTC().Format("2006-01-02 15:04 MST"), itemProblem(it))
		default:
			continue
		}
		warns = append(warns, a)
	}
	var b strings.Builder
	for _, list := range [][]annotation{capAnnotations(errs, "blocking problems"), capAnnotations(warns, "problems that do not block")} {
		for _, a := range list {
			b.WriteString(a.String())
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// capAnnotations keeps what GitHub will show: past the limit, the last
// one counts the rest.
func capAnnotations(as []annotation, what string) []annotation {
	if len(as) <= githubAnnotationsPerLevel {
		return as
	}
	keep := as[:githubAnnotationsPerLevel-1]
	rest := len(as) - len(keep)
	return append(keep, annotation{level: as[0].level, file: as[0].file, title: fmt.Sprintf("%d more", rest),
		msg: fmt.Sprintf("%d more %s; the step summary and the report list them all", rest, what)})
}

func (a annotation) String() string {
	var props []string
	if a.file != "" {
		props = append(props, "file="+escapeProperty(a.file))
		if a.line > 0 {
			props = append(props, fmt.Sprintf("line=%d", a.line))
		}
	}
	if a.title != "" {
		props = append(props, "title="+escapeProperty(a.title))
	}
	cmd := "::" + a.level
	if len(props) > 0 {
		cmd += " " + strings.Join(props, ",")
	}
	return cmd + "::" + escapeData(cut(a.msg, annotationMax)) + "\n"
}

// itemProblem is an item's outcome in one message: "Core Service — fail
// (assertion): status == 200: status was 503".
func itemProblem(it Item) string {
	msg := string(it.Status)
	if it.Reason != "" {
		msg += " (" + it.Reason + ")"
	}
	if it.Message != "" {
		msg += ": " + it.Message
	}
	if it.Attempts > 1 {
		msg += fmt.Sprintf(" after %d attempts", it.Attempts)
	}
	if it.Title != "" && it.Title != it.ID {
		msg = it.Title + " — " + msg
	}
	return msg
}

// path makes a checklist path relative to the workspace, with forward
// slashes, as GitHub matches annotation files against the checkout. A
// path outside the workspace stays as given.
func (o GitHubOptions) path(file string) string {
	if file == "" || file == "-" {
		return ""
	}
	p := file
	if o.Workspace != "" {
		abs := file
		if !filepath.IsAbs(abs) && o.WorkDir != "" {
			abs = filepath.Join(o.WorkDir, abs)
		}
		if filepath.IsAbs(abs) {
			if rel, err := filepath.Rel(o.Workspace, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				p = rel
			}
		}
	}
	return filepath.ToSlash(p)
}

// escapeData escapes an annotation's message as GitHub's workflow-command
// parser expects (% first, so the escapes themselves survive). Other
// control characters are shown as escapes, as on a terminal: the log
// viewer renders ANSI sequences.
func escapeData(s string) string {
	s = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
	return termSafe(s)
}

// escapeProperty escapes a property value (file, title): as data, and
// also the separators of the property list.
func escapeProperty(s string) string {
	return strings.NewReplacer(":", "%3A", ",", "%2C").Replace(escapeData(s))
}

func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// Step-summary bounds: GitHub refuses a step summary over 1 MiB, and a
// summary is read by a person; rows past these caps are counted, not shown.
const (
	summaryRows    = 50
	summaryCellMax = 300
)

// WriteGitHubSummary writes the compact Markdown for $GITHUB_STEP_SUMMARY:
// the verdict, what blocks (first), the problems that do not block, and
// the sign-off table. Passing items are counted, not listed.
func WriteGitHubSummary(w io.Writer, r *Report) error {
	var b strings.Builder
	blockers := r.Blocking()
	blocked := blockedSet(blockers)
	verdict := "✅ READY"
	if r.Verdict != Ready {
		verdict = "❌ NOT READY"
	}
	if r.Interrupted {
		verdict += " (interrupted: partial report)"
	}
	name := r.Checklist.Name
	if name == "" {
		name = r.Checklist.Path
	}
	fmt.Fprintf(&b, "\n## %s — %s\n\n", verdict, cell(name))
	b.WriteString(markdownSummary(r, cell))
	b.WriteString("\n")

	if len(blockers) > 0 {
		fmt.Fprintf(&b, "\n### Blocking (%d)\n\n| | what | status | why |\n|---|---|---|---|\n", len(blockers))
		for i, bl := range orderBlockers(blockers) {
			if i == summaryRows {
				fmt.Fprintf(&b, "| | … %d more | | |\n", len(blockers)-i)
				break
			}
			what, status := "", string(bl.Status)
			switch {
			case bl.Item != "":
				what = "`" + mdCodeSafe(bl.Item) + "`"
			case bl.Section != "":
				what = "section `" + mdCodeSafe(bl.Section) + "`"
			case bl.Role != "":
				what = cell(bl.Role) + " approval"
			default:
				what = "run"
			}
			if bl.Reason != "" && bl.Reason != status {
				status = strings.TrimSpace(status + " (" + bl.Reason + ")")
			}
			sym := symbols[bl.Status]
			if sym == "" {
				sym = symbols[Fail]
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", sym, what, cell(status), cell(bl.Message))
		}
	}

	var others []Item
	for _, it := range r.Items {
		if !blocked.items[it.ID] && it.Reason != checks.ReasonNotSelected && (problem(it.Status) || it.Status == Waived) {
			others = append(others, it)
		}
	}
	if len(others) > 0 {
		fmt.Fprintf(&b, "\n### Not blocking (%d)\n\n| | item | severity | status | why |\n|---|---|---|---|---|\n", len(others))
		for i, it := range others {
			if i == summaryRows {
				fmt.Fprintf(&b, "| | … %d more | | | |\n", len(others)-i)
				break
			}
			status := string(it.Status)
			if it.Reason != "" {
				status += " (" + it.Reason + ")"
			}
			why := brief(it)
			if it.Status == Waived && it.Signoff != nil && !it.Signoff.Expires.IsZero() {
				why = "waived until " + it.Signoff.Expires.UTC().Format("2006-01-02") + ": " + it.Message
			}
			fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s |\n", symbols[it.Status], mdCodeSafe(it.ID), cell(it.Severity), cell(status), cell(why))
		}
	}

	if len(r.Signoffs) > 0 {
		fmt.Fprintf(&b, "\n### Sign-offs\n\n| role | item | name | date | state |\n|---|---|---|---|---|\n")
		for i, so := range r.Signoffs {
			if i == summaryRows {
				fmt.Fprintf(&b, "| … %d more | | | | |\n", len(r.Signoffs)-i)
				break
			}
			role, state, date := so.Role, so.State, ""
			if so.RoleTitle != "" {
				role = so.RoleTitle
			}
			if so.Type != "" && so.Type != "attest" {
				role += " (" + so.Type + ")"
			}
			if so.Decision != "" {
				state += " [" + so.Decision + "]"
			}
			if !so.Date.IsZero() {
				date = so.Date.UTC().Format("2006-01-02")
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", cell(role), cell(so.Item), cell(so.Name), date, cell(state))
		}
	}

	fmt.Fprintf(&b, "\n<sub>passing items not listed: %d · checklist %s · sha256 `%s`</sub>\n",
		r.Summary.Pass, cell(r.Checklist.Path), short(mdCodeSafe(r.Checklist.SHA256)))
	_, err := io.WriteString(w, b.String())
	return err
}

// cell is text from a checklist or a target in a table cell: bounded and
// inert (mdEscape).
func cell(s string) string { return mdEscape(cut(s, summaryCellMax)) }

// orderBlockers puts what went wrong before what is only waiting: item
// failures, errors and unchecked items, then section gates, then items
// pending a sign-off, then approvals and run-level reasons. Within each
// group the order is Blocking()'s (checklist order).
func orderBlockers(bs []Blocker) []Blocker {
	rank := func(b Blocker) int {
		switch {
		case b.Item != "" && b.Status != Pending:
			return 0
		case b.Section != "" && b.Item == "":
			return 1
		case b.Item != "":
			return 2
		case b.Role != "":
			return 3
		}
		return 4
	}
	out := make([]Blocker, 0, len(bs))
	for r := 0; r <= 4; r++ {
		for _, b := range bs {
			if rank(b) == r {
				out = append(out, b)
			}
		}
	}
	return out
}
