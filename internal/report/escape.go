package report

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// TermSafe is termSafe for other writers to a terminal (live progress).
func TermSafe(s string) string { return termSafe(s) }

// termSafe makes text that came from a target (or a checklist) harmless on
// a terminal: control characters (ESC, BEL, NUL, backspace, CR, ...), C1
// controls, bidirectional overrides and invalid UTF-8 are shown as escapes
// such as \x1b, so a response body cannot retitle, clear or rewrite the
// terminal nor disguise a line.
func termSafe(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

func needsEscape(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || r < 0x20 || r == 0x7f || unsafeRune(r) {
			return true
		}
		i += size
	}
	return false
}

// unsafeRune: C1 controls (0x9b is a one-byte CSI on some terminals) and the
// Unicode bidirectional controls that can make text read differently from
// what it is.
func unsafeRune(r rune) bool {
	return (r >= 0x80 && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f
}

// mdEscape makes text from a target inert in Markdown (GitHub-flavoured,
// as in a pull-request comment or a job summary): no links, autolinks,
// images, HTML, emphasis or table breaks; control characters as termSafe
// shows them, newlines as spaces.
func mdEscape(s string) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }), " ")
	s = termSafe(s)
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '\\', '`', '*', '_', '[', ']', '(', ')', '!', '|', '~', '#', '$', '^':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '@':
			// Autolink trigger (user@host, mailto:).
			b.WriteString(`\@`)
		case ':':
			// "https://x" is an autolink in GitHub Markdown; "https\://x"
			// reads the same and is not.
			if strings.HasPrefix(s[i:], "://") {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		case '.':
			// So is "www.x".
			if i >= 3 && strings.EqualFold(s[i-3:i], "www") {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
