package checks

import "strings"

// References lists the ${NAME} references in s, in order, as written
// between the braces (so "env:X" for ${env:X}). "$${" is an escaped,
// literal "${" and no reference; an unterminated "${" ends the scan.
// The loader and the kinds that fill values at run time (flow) read
// checklist strings the same way through this and ExpandReferences.
func References(s string) []string {
	var out []string
	scanReferences(s, func(string) {}, func(ref string) error {
		out = append(out, ref)
		return nil
	})
	return out
}

// ExpandReferences replaces each ${NAME} in s with lookup's value and
// "$${" with "${"; an unterminated "${" stays as written. The first error
// of lookup is returned.
func ExpandReferences(s string, lookup func(name string) (string, error)) (string, error) {
	if !strings.Contains(s, "${") {
		return s, nil
	}
	var b strings.Builder
	err := scanReferences(s, func(lit string) { b.WriteString(lit) }, func(ref string) error {
		v, err := lookup(ref)
		b.WriteString(v)
		return err
	})
	if err != nil {
		return "", err
	}
	return b.String(), nil
}

// scanReferences walks s, handing literal text to lit and each reference
// to ref, and stops at ref's first error.
func scanReferences(s string, lit func(string), ref func(string) error) error {
	from := 0 // start of the literal text not yet handed over
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "$${"):
			lit(s[from:i] + "${")
			i += 3
			from = i
		case strings.HasPrefix(s[i:], "${"):
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				lit(s[from:])
				return nil
			}
			lit(s[from:i])
			if err := ref(s[i+2 : i+end]); err != nil {
				return err
			}
			i += end + 1
			from = i
		default:
			i++
		}
	}
	lit(s[from:])
	return nil
}
