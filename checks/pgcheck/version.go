package pgcheck

import "strings"

// compareVersions orders migration versions the way people read them:
// runs of digits compare as numbers ("10" > "9", "007" == "7"), everything
// else byte by byte. It covers golang-migrate/goose integers, Rails and
// Prisma timestamps, Flyway dotted versions ("1.10" > "1.9") and Django
// "0012_name" prefixes.
func compareVersions(a, b string) int {
	for a != "" && b != "" {
		da, db := isDigit(a[0]), isDigit(b[0])
		switch {
		case da && db:
			na, ra := digitRun(a)
			nb, rb := digitRun(b)
			na, nb = strings.TrimLeft(na, "0"), strings.TrimLeft(nb, "0")
			if len(na) != len(nb) {
				return sign(len(na) - len(nb))
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = ra, rb
		default:
			if a[0] != b[0] {
				return sign(int(a[0]) - int(b[0]))
			}
			a, b = a[1:], b[1:]
		}
	}
	return sign(len(a) - len(b))
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func digitRun(s string) (run, rest string) {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return s[:i], s[i:]
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
