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
	p := painter(o.Color)
	var b strings.Builder
	title := r.Checklist.Name
	if title == "" {
		title = r.Checklist.Path
	}
	fmt.Fprintf(&b, "%s", p.paint(ansiBold, title))
	if r.Environment != "" {
		fmt.Fprintf(&b, " · %s", r.Environment)
	}
	fmt.Fprintf(&b, "\n%s\n", p.paint(ansiDim, fmt.Sprintf("%s · sha256 %s · %s", r.Checklist.Path, short(r.Checklist.SHA256), r.StartedAt.Format(time.RFC3339))))

	idWidth := 0
	for _, it := range r.Items {
		idWidth = max(idWidth, len(it.ID))
	}
	for _, s := range r.Sections {
		var items []Item
		for _, it := range r.Items {
			if it.Section == s.ID {
				items = append(items, it)
			}
		}
		if allNotSelected(items) && !o.Verbose {
			continue
		}
		rate := ""
		if s.Status != Skip {
			rate = fmt.Sprintf("%.0f%%", s.PassRate*100)
			if s.MinPassRate != nil {
				rate += fmt.Sprintf(" (min %.0f%%)", *s.MinPassRate*100)
			}
		}
		fmt.Fprintf(&b, "\n%s %s  %s\n", p.paint(colours[s.Status], symbols[s.Status]), p.paint(ansiBold, s.Title), p.paint(ansiDim, rate))
		for _, it := range items {
			if it.Reason == checks.ReasonNotSelected && !o.Verbose {
				continue
			}
			dur := ""
			if it.DurationMS > 0 || it.Attempts > 0 {
				dur = (time.Duration(it.DurationMS) * time.Millisecond).String()
			}
			title := it.Title
			if title == it.ID {
				title = "" // an untitled item: its id says it all
			}
			fmt.Fprintf(&b, "  %s %-*s  %s  %s\n", p.paint(colours[it.Status], symbols[it.Status]), idWidth, it.ID, title, p.paint(ansiDim, dur))
			if it.Status == Pass && !o.Verbose {
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
				detail += ": " + it.Message
			}
			if it.Attempts > 1 {
				detail += fmt.Sprintf(" after %d attempts", it.Attempts)
			}
			fmt.Fprintf(&b, "      %s\n", p.paint(colours[it.Status], detail))
			if it.Signoff != nil {
				fmt.Fprintf(&b, "      %s\n", signoffLine(*it.Signoff))
			}
			max := 6
			if o.Verbose {
				max = 0
			}
			if kv := keyObservations(it.Observations, max, it.Key...); len(kv) > 0 {
				fmt.Fprintf(&b, "      %s\n", p.paint(ansiDim, strings.Join(kv, " ")))
			}
		}
	}
	if len(r.Signoffs) > 0 {
		fmt.Fprintf(&b, "\n%s\n", p.paint(ansiBold, "Sign-offs"))
		for _, s := range r.Signoffs {
			fmt.Fprintf(&b, "  %s\n", signoffLine(s))
		}
	}
	s := r.Summary
	verdict := p.paint(ansiBold+ansiGreen, "READY")
	if r.Verdict != Ready {
		verdict = p.paint(ansiBold+ansiRed, "NOT READY")
	}
	if r.Interrupted {
		verdict += p.paint(ansiYellow, " (interrupted: partial report)")
	}
	fmt.Fprintf(&b, "\n%s  %d pass · %d fail · %d error · %d skip · %d pending · %d waived  (%d items in %s)\n",
		verdict, s.Pass, s.Fail, s.Error, s.Skip, s.Pending, s.Waived, s.Total,
		(time.Duration(r.DurationMS) * time.Millisecond).String())
	_, err := io.WriteString(w, b.String())
	return err
}

func signoffLine(s Signoff) string {
	date := "-"
	if !s.Date.IsZero() {
		date = s.Date.UTC().Format("2006-01-02")
	}
	name := s.Name
	if name == "" {
		name = "-"
	}
	what := s.Role
	if s.RoleTitle != "" {
		what = s.RoleTitle
	}
	if s.Item != "" {
		what = strings.TrimSpace(what + " on " + s.Item)
	}
	line := fmt.Sprintf("%-8s %-28s %-24s %s  %s", s.Type, what, name, date, s.State)
	if s.Decision != "" {
		line += " [" + s.Decision + "]"
	}
	if s.Reason != "" {
		line += " (" + s.Reason + ")"
	}
	if !s.Expires.IsZero() {
		line += " until " + s.Expires.UTC().Format("2006-01-02")
	}
	if s.Note != "" {
		line += ": " + s.Note
	}
	return line
}

func allNotSelected(items []Item) bool {
	for _, it := range items {
		if it.Reason != checks.ReasonNotSelected {
			return false
		}
	}
	return len(items) > 0
}

func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12]
	}
	return sum
}
