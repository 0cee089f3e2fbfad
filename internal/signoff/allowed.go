package signoff

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
)

// AllowedSigners is an OpenSSH allowed_signers file (see ssh-keygen(1),
// ALLOWED SIGNERS): which keys may sign for which principals (here, the
// signers' email addresses).
type AllowedSigners struct {
	Path    string
	Entries []AllowedSigner
}

// AllowedSigner is one line of the file.
type AllowedSigner struct {
	Line          int
	Principals    string // comma-separated patterns, OpenSSH syntax
	Key           ssh.PublicKey
	Namespaces    string // comma-separated patterns; "" = any
	ValidAfter    time.Time
	ValidBefore   time.Time
	CertAuthority bool
}

// LoadAllowedSigners reads and parses the file at path.
func LoadAllowedSigners(path string) (*AllowedSigners, error) {
	data, err := readRegular(path, MaxAllowedSignersSize)
	if err != nil {
		return nil, fmt.Errorf("allowed_signers: %w", err)
	}
	return ParseAllowedSigners(path, data)
}

// ParseAllowedSigners parses allowed_signers content. Every bad line is an
// error (FILE:LINE: message): a trust file is not read half-way.
func ParseAllowedSigners(path string, data []byte) (*AllowedSigners, error) {
	a := &AllowedSigners{Path: path}
	var errs []error
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		e, err := parseAllowedLine(line)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: %w", path, n, err))
			continue
		}
		e.Line = n
		a.Entries = append(a.Entries, e)
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", path, err))
	}
	return a, errors.Join(errs...)
}

func parseAllowedLine(line string) (AllowedSigner, error) {
	var e AllowedSigner
	var rest string
	if strings.HasPrefix(line, `"`) {
		end := strings.Index(line[1:], `"`)
		if end < 0 {
			return e, errors.New("unterminated quoted principals")
		}
		e.Principals, rest = line[1:1+end], line[2+end:]
	} else {
		i := strings.IndexAny(line, " \t")
		if i < 0 {
			return e, errors.New("expected principals and a key")
		}
		e.Principals, rest = line[:i], line[i:]
	}
	if e.Principals == "" {
		return e, errors.New("empty principals")
	}
	key, _, options, _, err := ssh.ParseAuthorizedKey([]byte(strings.TrimSpace(rest)))
	if err != nil {
		return e, fmt.Errorf("key: %w", err)
	}
	e.Key = key
	for _, opt := range options {
		name, val, hasVal := strings.Cut(opt, "=")
		val = strings.Trim(val, `"`)
		switch strings.ToLower(name) {
		case "cert-authority":
			e.CertAuthority = true
		case "namespaces":
			e.Namespaces = val
		case "valid-after", "valid-before":
			if !hasVal {
				return e, fmt.Errorf("%s needs a time", name)
			}
			t, err := parseSSHTime(val)
			if err != nil {
				return e, fmt.Errorf("%s: %w", name, err)
			}
			if strings.EqualFold(name, "valid-after") {
				e.ValidAfter = t
			} else {
				e.ValidBefore = t
			}
		default:
			return e, fmt.Errorf("unknown option %q", name)
		}
	}
	return e, nil
}

// parseSSHTime reads YYYYMMDD[HHMM[SS]][Z]: UTC with Z, local time without.
func parseSSHTime(s string) (time.Time, error) {
	loc := time.Local
	if v, ok := strings.CutSuffix(s, "Z"); ok {
		s, loc = v, time.UTC
	}
	for _, layout := range []string{"20060102", "200601021504", "20060102150405"} {
		if len(s) == len(layout) {
			return time.ParseInLocation(layout, s, loc)
		}
	}
	return time.Time{}, fmt.Errorf("bad time %q: expected YYYYMMDD[HHMM[SS]][Z]", s)
}

// Check reports whether key may sign for principal in namespace at now,
// and if not, why in words a person can act on.
func (a *AllowedSigners) Check(principal string, key ssh.PublicKey, namespace string, now time.Time) error {
	fp := ssh.FingerprintSHA256(key)
	var holders []string
	var problem error
	for _, e := range a.Entries {
		if e.CertAuthority || !bytes.Equal(e.Key.Marshal(), key.Marshal()) {
			continue
		}
		holders = append(holders, e.Principals)
		switch {
		case !MatchPatternList(principal, e.Principals):
			continue
		case e.Namespaces != "" && !MatchPatternList(namespace, e.Namespaces):
			problem = fmt.Errorf("key %s may sign for %s only in namespaces %q (%s:%d)", fp, principal, e.Namespaces, a.Path, e.Line)
		case !e.ValidAfter.IsZero() && now.Before(e.ValidAfter):
			problem = fmt.Errorf("key %s is not valid before %s (%s:%d)", fp, e.ValidAfter.Format(time.RFC3339), a.Path, e.Line)
		case !e.ValidBefore.IsZero() && !now.Before(e.ValidBefore):
			problem = fmt.Errorf("key %s expired in allowed_signers on %s (%s:%d)", fp, e.ValidBefore.Format(time.RFC3339), a.Path, e.Line)
		default:
			return nil
		}
	}
	if problem != nil {
		return problem
	}
	if len(holders) == 0 {
		return fmt.Errorf("signing key %s is not in allowed_signers (%s)", fp, a.Path)
	}
	if principal == "" {
		return fmt.Errorf("record has no email, and allowed_signers maps key %s to %s", fp, strings.Join(holders, ", "))
	}
	return fmt.Errorf("signing key %s belongs to %s in allowed_signers, not to %s", fp, strings.Join(holders, ", "), principal)
}

// MatchPatternList matches s against a comma-separated list of OpenSSH
// patterns (* and ?; a leading ! negates and wins over any match).
func MatchPatternList(s, list string) bool {
	matched := false
	for _, p := range strings.Split(list, ",") {
		p = strings.TrimSpace(p)
		if neg, ok := strings.CutPrefix(p, "!"); ok {
			if wildMatch(neg, s) {
				return false
			}
			continue
		}
		if wildMatch(p, s) {
			matched = true
		}
	}
	return matched
}

func wildMatch(p, s string) bool {
	ok, _ := wildMatchSteps(p, s)
	return ok
}

// wildMatchSteps matches s against one pattern greedily with two
// pointers: on a mismatch it returns to the last star and lets it absorb
// one more byte. Each step moves forward in s or consumes the pattern, so
// the work is at most about len(p)*len(s), never exponential in the
// number of stars (a recursive matcher took seconds on `*@*.example.com`
// against a 64 KB principal). steps counts loop iterations, for tests.
func wildMatchSteps(p, s string) (ok bool, steps int) {
	pi, si := 0, 0
	star, mark := -1, 0 // last star in p, and where in s it started matching
	for si < len(s) {
		steps++
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			pi++
			si++
		case star >= 0:
			mark++
			pi, si = star+1, mark
		default:
			return false, steps
		}
	}
	for pi < len(p) && p[pi] == '*' {
		steps++
		pi++
	}
	return pi == len(p), steps
}
