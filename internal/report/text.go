package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/readyctl/readyctl/checks"
)

func init() { Register("text", renderText) }

var symbols = map[Status]string{
	Pass: "✓", Fail: "✗", Error: "!", Skip: "-", Pending: "…", Waived: "~",
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiBlue   = "\x1b[34m"
	ansiPurple = "\x1b[35m"
)

var colours = map[Status]string{
	Pass: ansiGreen, Fail: ansiRed, Error: ansiPurple, Skip: ansiDim, Pending: ansiYellow, Waived: ansiBlue,
}

type painter bool

func (p painter) paint(code, s string) string {
	if !p || code == "" {
		return s
	}
	return code + s + ansiReset
}

func renderText(w io.Writer, r *Report, o Options) error {
	if o.Quiet {
		return renderQuiet(w, r, o)
	}
	p := painter(o.Color)
	var b strings.Builder
	title := r.Checklist.Name
	if title == "" {
		title = r.Checklist.Path
	}
	fmt.Fprintf(&b, "%s", p.paint(ansiBold, termSafe(title)))
	if r.Environment != "" {
		fmt.Fprintf(&b, " · %s", termSafe(r.Environment))
	}
	fmt.Fprintf(&b, "\n%s\n", p.paint(ansiDim, fmt.Sprintf("%s · sha256 %s · %s", termSafe(r.Checklist.Path), short(r.Checklist.SHA256), r.StartedAt.Format(time.RFC3339))))
	blockers := r.Blocking()
	blocked := blockedSet(blockers)

	idWidth := 0
	// Each section's items, by index, in one pass: filtering (and
	// copying) every item for every section was most of rendering a
	// large report (issue 16).
	bySection := make(map[string][]int, len(r.Sections))
	for i := range r.Items {
		it := &r.Items[i]
		idWidth = max(idWidth, len(it.ID))
		bySection[it.Section] = append(bySection[it.Section], i)
	}
	b.Grow(len(r.Items) * 64)
	for _, s := range r.Sections {
		indexes := bySection[s.ID]
		notSelected := len(indexes) > 0
		for _, i := range indexes {
			if r.Items[i].Reason != checks.ReasonNotSelected {
				notSelected = false
				break
			}
		}
		if notSelected && !o.Verbose {
			continue
		}
		rate := ""
		if s.Status != Skip {
			rate = fmt.Sprintf("%.0f%%", s.PassRate*100)
			if s.MinPassRate != nil {
				rate += fmt.Sprintf(" (min %.0f%%)", *s.MinPassRate*100)
			}
		}
		sym, colour := symbols[s.Status], colours[s.Status]
		switch {
		case problem(s.Status) && !blocked.sections[s.ID]:
			sym, colour = symbolWarn, ansiYellow // a problem that does not block
		case !problem(s.Status) && blocked.sections[s.ID]:
			sym, colour = symbols[Fail], ansiRed // e.g. an item left unchecked by a dependency
		}
		fmt.Fprintf(&b, "\n%s %s  %s\n", p.paint(colour, sym), p.paint(ansiBold, termSafe(s.Title)), p.paint(ansiDim, rate))
		for _, i := range indexes {
			it := &r.Items[i]
			if it.Reason == checks.ReasonNotSelected && !o.Verbose {
				continue
			}
			dur := ""
			if it.DurationMS > 0 || it.Attempts > 0 {
				dur = (time.Duration(it.DurationMS) * time.Millisecond).String()
			}
			title := termSafe(it.Title)
			if it.Title == it.ID {
				title = "" // an untitled item: its id says it all
			}
			colour := colours[it.Status]
			if problem(it.Status) && !blocked.items[it.ID] {
				colour = ansiYellow
			}
			fmt.Fprintf(&b, "  %s %-*s  %s  %s\n", p.paint(colour, symbols[it.Status]), idWidth, termSafe(it.ID), title, p.paint(ansiDim, dur))
			if it.Status == Pass && !o.Verbose {
				if ch := changeLine(*it); ch != "" {
					fmt.Fprintf(&b, "      %s\n", p.paint(ansiDim, "change: "+termSafe(ch)))
				}
				continue
			}
			detail := string(it.Status)
			if it.Reason != "" {
				detail += " (" + it.Reason + ")"
			}
			if it.Severity != "critical" {
				detail += " [" + it.Severity + "]"
			}
			if it.Message != "" {
				detail += ": " + termSafe(it.Message)
			}
			if it.Attempts > 1 {
				detail += fmt.Sprintf(" after %d attempts", it.Attempts)
			}
			fmt.Fprintf(&b, "      %s\n", p.paint(colour, detail))
			if it.Signoff != nil {
				fmt.Fprintf(&b, "      %s\n", signoffLine(*it.Signoff))
			}
			max := 6
			if o.Verbose {
				max = 0
			}
			if kv := keyObservations(it.Observations, max, it.Key...); len(kv) > 0 {
				fmt.Fprintf(&b, "      %s\n", p.paint(ansiDim, termSafe(strings.Join(kv, " "))))
			}
			if ch := changeLine(*it); ch != "" {
				fmt.Fprintf(&b, "      %s\n", p.paint(ansiDim, "change: "+termSafe(ch)))
			}
		}
	}
	if len(r.Signoffs) > 0 {
		fmt.Fprintf(&b, "\n%s\n", p.paint(ansiBold, "Sign-offs"))
		for _, s := range r.Signoffs {
			fmt.Fprintf(&b, "  %s\n", signoffLine(s))
		}
	}
	if lines := deploymentLines(r); len(lines) > 0 {
		fmt.Fprintf(&b, "\n%s\n", p.paint(ansiBold, "Deployment"))
		for _, l := range lines {
			fmt.Fprintf(&b, "  %s\n", termSafe(l))
		}
	}
	if len(blockers) > 0 {
		// The closing list: what to fix, after however many sections, so
		// that a long run ends on its point.
		fmt.Fprintf(&b, "\n%s\n", p.paint(ansiBold, "Blocking"))
		for _, line := range blockingLines(blockers) {
			fmt.Fprintf(&b, "  %s\n", p.paint(ansiRed, termSafe(line)))
		}
	}
	b.WriteString("\n" + verdictLine(r, p))
	_, err := io.WriteString(w, b.String())
	return err
}

func verdictLine(r *Report, p painter) string {
	s := r.Summary
	verdict := p.paint(ansiBold+ansiGreen, "READY")
	if r.Verdict != Ready {
		verdict = p.paint(ansiBold+ansiRed, "NOT READY")
	}
	if r.Interrupted {
		verdict += p.paint(ansiYellow, " (interrupted: partial report)")
	}
	return fmt.Sprintf("%s  %d pass · %d fail · %d error · %d skip · %d pending · %d waived  (%d items in %s%s%s)\n",
		verdict, s.Pass, s.Fail, s.Error, s.Skip, s.Pending, s.Waived, s.Total,
		(time.Duration(r.DurationMS) * time.Millisecond).String(), notSelectedNote(r.Items), roundsNote(r.Rounds))
}

// pendingListed is how many items waiting for a sign-off the closing list
// names one by one; past it they share one line, so 80 pending sign-offs
// do not bury 2 failures.
const pendingListed = 5

// blockingLines is the closing list: failures first (orderBlockers), and
// the items waiting for a sign-off on one line when there are many.
func blockingLines(bs []Blocker) []string {
	var waiting []string
	for _, b := range bs {
		if b.Item != "" && b.Status == Pending {
			waiting = append(waiting, b.Item)
		}
	}
	var lines []string
	said := false
	for _, b := range orderBlockers(bs) {
		switch {
		case b.Item == "" || b.Status != Pending || len(waiting) <= pendingListed:
			lines = append(lines, b.String())
		case !said:
			said = true
			lines = append(lines, fmt.Sprintf("%d items wait for a sign-off: %s, … (%d more; readyctl signoffs lists them)",
				len(waiting), strings.Join(waiting[:pendingListed], ", "), len(waiting)-pendingListed))
		}
	}
	return lines
}

// renderQuiet is --quiet: one line per item that is a problem (what blocks
// first, then what does not), the other blockers, and the verdict.
func renderQuiet(w io.Writer, r *Report, o Options) error {
	p := painter(o.Color)
	blockers := r.Blocking()
	blocked := blockedSet(blockers)
	items := make(map[string]Item, len(r.Items))
	for _, it := range r.Items {
		items[it.ID] = it
	}
	type line struct {
		sym, id, text string
	}
	var lines []line
	idWidth := 0
	for _, bl := range orderBlockers(blockers) {
		if bl.Item == "" {
			lines = append(lines, line{sym: p.paint(ansiRed, symbols[Fail]), text: bl.String()})
			continue
		}
		it := items[bl.Item]
		idWidth = max(idWidth, len(it.ID))
		lines = append(lines, line{p.paint(colours[it.Status], symbols[it.Status]), it.ID, quietDetail(it, "")})
	}
	for _, it := range r.Items {
		unchecked := it.Status == Skip && (it.Reason == checks.ReasonDependency || it.Reason == checks.ReasonUnavailable)
		if blocked.items[it.ID] || !(problem(it.Status) || unchecked) {
			continue
		}
		idWidth = max(idWidth, len(it.ID))
		lines = append(lines, line{p.paint(ansiYellow, symbolWarn), it.ID, quietDetail(it, ", does not block")})
	}
	var b strings.Builder
	for _, l := range lines {
		if l.id == "" {
			fmt.Fprintf(&b, "%s %s\n", l.sym, termSafe(l.text))
			continue
		}
		fmt.Fprintf(&b, "%s %-*s  %s\n", l.sym, idWidth, termSafe(l.id), termSafe(l.text))
	}
	if len(lines) > 0 {
		b.WriteString("\n")
	}
	b.WriteString(verdictLine(r, p))
	_, err := io.WriteString(w, b.String())
	return err
}

func quietDetail(it Item, note string) string {
	d := string(it.Status)
	if it.Reason != "" {
		d += " (" + it.Reason + ")"
	}
	if it.Severity != "critical" || note != "" {
		d += " [" + it.Severity + note + "]"
	}
	if it.Message != "" {
		d += ": " + it.Message
	}
	if it.Attempts > 1 {
		d += fmt.Sprintf(" after %d attempts", it.Attempts)
	}
	return d
}

func signoffLine(s Signoff) string {
	date := "-"
	if !s.Date.IsZero() {
		date = s.Date.UTC().Format("2006-01-02")
	}
	name := termSafe(s.Name)
	if name == "" {
		name = "-"
	}
	what := s.Role
	if s.RoleTitle != "" {
		what = s.RoleTitle
	}
	what = termSafe(what)
	if s.Item != "" {
		what = strings.TrimSpace(what + " on " + s.Item)
	}
	line := fmt.Sprintf("%-8s %-28s %-24s %s  %s", s.Type, what, name, date, s.State)
	if s.Decision != "" {
		line += " [" + s.Decision + "]"
	}
	if s.Reason != "" {
		line += " (" + termSafe(s.Reason) + ")"
	}
	if !s.Expires.IsZero() {
		line += " until " + s.Expires.UTC().Format("2006-01-02")
	}
	if s.Note != "" {
		line += ": " + termSafe(s.Note)
	}
	return line
}

// symbolWarn marks a section whose problems do not block the verdict.
const symbolWarn = "⚠"

func problem(s Status) bool { return s == Fail || s == Error || s == Pending }

// blocked indexes Blocking() for renderers: which items block, and which
// sections hold something that blocks (an item or their min_pass_rate).
type blocked struct{ items, sections map[string]bool }

func blockedSet(bs []Blocker) blocked {
	out := blocked{items: map[string]bool{}, sections: map[string]bool{}}
	for _, b := range bs {
		if b.Item != "" {
			out.items[b.Item] = true
		}
		if b.Section != "" {
			out.sections[b.Section] = true
		}
	}
	return out
}

// notSelectedNote counts the items left out of a rendering because the
// selection did not include them.
func notSelectedNote(items []Item) string {
	n := 0
	for _, it := range items {
		if it.Reason == checks.ReasonNotSelected {
			n++
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", %d not selected", n)
}

func roundsNote(rounds int) string {
	if rounds <= 1 {
		return ""
	}
	return fmt.Sprintf(", %d rounds", rounds)
}

func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12]
	}
	return sum
}
