package signoff

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/readyctl/readyctl/internal/checklist"
)

// States of a sign-off.
const (
	Valid   = "valid"
	Missing = "missing" // a required approval nobody gave
	Expired = "expired"
	Stale   = "stale"   // what was signed has changed since
	Invalid = "invalid" // cannot be trusted: edited, bad or unknown key, role not permitted, ...
	// OtherRelease: a sound record, but for another release than the
	// run's (approvals, and attestations under
	// signoff.bind_attestations_to_release).
	OtherRelease = "other_release"
)

// futureSkew is how far in the future a record's creation time may be
// (clocks differ) before the record is rejected.
const futureSkew = 5 * time.Minute

// Actor is someone who must not approve a run (forbid_self_approval):
// the CI actor or the commit author, with where that came from.
type Actor struct {
	Source string // GITHUB_ACTOR, GITLAB_USER_LOGIN, commit author, ...
	Value  string
}

// Input is everything the judge needs besides the records. Nothing in it
// is read from disk by the judge: the caller has done the I/O.
type Input struct {
	Checklist *checklist.Checklist
	Now       time.Time
	Actors    []Actor
	// Allowed is the parsed allowed_signers file named by the policy;
	// AllowedErr is why it could not be read or parsed. With the policy
	// naming a file and Allowed nil, no signature can be trusted.
	Allowed    *AllowedSigners
	AllowedErr error
	// Release is the run's release (a commit, a tag). "" = unbound: any
	// release counts, as outside git with no --release.
	Release string
	// Phase is the run's --phase: an approval given for a phase counts
	// only for runs of that phase.
	Phase string
	// AllEnvironments judges every record, whatever its environment and
	// phase (signoffs list); otherwise only records for the checklist's
	// environment, or for none, apply.
	AllEnvironments bool
}

// Judged is a record with its state as it stands now.
type Judged struct {
	*Entry
	State   string
	Reason  string
	Signer  string // verified signing key fingerprint, "" when unsigned
	applies bool
}

// Decision is what the sign-offs say about one question: whether a
// manual item is attested, whether a failing item is waived, whether a
// role approved the run. It carries the record it rests on; turning it
// into report items and rows is the caller's business.
type Decision struct {
	Item string // attestations and waivers
	Role string // approvals
	// State is Valid when a record counts; otherwise why none does:
	// Missing when there is no record, else the newest record's state.
	State string
	// Rejected: the valid attestation says the item is not done.
	Rejected bool
	// Required: an approval of a role under signoff.require.
	Required bool
	// Record is the valid record, else the newest one; nil when Missing.
	Record *Judged
}

// Counts reports whether the decision lets the item pass (attestation),
// waives it (waiver) or fills the role (approval).
func (d Decision) Counts() bool { return d.State == Valid && !d.Rejected }

// Book is the sign-offs of one checklist, judged against it. Everything
// is decided when it is made, so it is safe for concurrent use.
type Book struct {
	in       Input
	policy   *checklist.SignoffPolicy
	raw      []*Entry
	entries  []*Judged
	items    map[string]*checklist.Item
	digests  map[string]string
	chosen   map[string]*Judged // valid approval per required role
	problems []string
}

// Judge judges every entry against the checklist as it is now. It reads
// nothing and writes nothing: same input, same book.
func Judge(in Input, entries []*Entry) (*Book, error) {
	b := &Book{
		in: in, policy: &in.Checklist.Signoff, raw: entries,
		items: map[string]*checklist.Item{}, digests: map[string]string{},
		chosen: map[string]*Judged{},
	}
	if b.in.Now.IsZero() {
		return nil, fmt.Errorf("signoff: judging needs the time")
	}
	items := in.Checklist.Items()
	for _, it := range items {
		// Only an item that a record signs needs its digest (digest,
		// below): a run of 10,000 items with no record computed 10,000
		// for nothing (issue 16). An item whose digest cannot be
		// computed still fails the judging, whatever the records.
		if mayNotDigest(it.Raw) {
			if _, err := ItemDigest(it); err != nil {
				return nil, err
			}
		}
	}
	if len(entries) > 0 {
		b.items = make(map[string]*checklist.Item, len(items))
		for _, it := range items {
			b.items[it.ID] = it
		}
	}
	if b.policy.AllowedSigners != "" && in.AllowedErr != nil {
		b.problems = append(b.problems, in.AllowedErr.Error())
	}
	for _, e := range entries {
		j := &Judged{Entry: e}
		j.State, j.Reason = b.judge(j)
		if e.Record == nil {
			p := j.Reason
			if !strings.HasPrefix(p, e.Path) {
				p = e.Path + ": " + p
			}
			b.problems = append(b.problems, p)
		} else {
			j.applies = b.applies(e.Record)
		}
		b.entries = append(b.entries, j)
	}
	sort.SliceStable(b.entries, func(i, k int) bool {
		a, c := b.entries[i].Record, b.entries[k].Record
		if a == nil || c == nil {
			return a != nil
		}
		return a.Created.Before(c.Created)
	})
	b.chooseApprovals()
	return b, nil
}

// applies: a record for another environment, or an approval of another
// phase, says nothing about this run.
func (b *Book) applies(r *Record) bool {
	if b.in.AllEnvironments {
		return true
	}
	if r.Environment != "" && r.Environment != b.in.Checklist.Environment {
		return false
	}
	return r.Type != Approve || r.Phase == "" || r.Phase == b.in.Phase
}

// Try judges a record before it is written, together with every record
// already in the book, exactly as a run will judge it once written.
func (b *Book) Try(candidate *Entry) (*Judged, error) {
	nb, err := Judge(b.in, append(slices.Clone(b.raw), candidate))
	if err != nil {
		return nil, err
	}
	for _, j := range nb.entries {
		if j.Entry == candidate {
			return j, nil
		}
	}
	return nil, fmt.Errorf("signoff: candidate record lost")
}

// Entries are every record judged, oldest first (unreadable files last).
func (b *Book) Entries() []*Judged { return b.entries }

// Problems are files that are not records and an unreadable
// allowed_signers file: worth a warning, whatever the run.
func (b *Book) Problems() []string { return b.problems }

// AllowedSignersErr is why the policy's allowed_signers file could not be
// used, if it could not.
func (b *Book) AllowedSignersErr() error {
	if b.policy.AllowedSigners == "" {
		return nil
	}
	return b.in.AllowedErr
}

// ItemDigest is the digest of item id's definition now ("" for an id the
// checklist does not have).
func (b *Book) ItemDigest(id string) string {
	if d, ok := b.digests[id]; ok {
		return d
	}
	for _, it := range b.in.Checklist.Items() {
		if it.ID == id {
			d, _ := ItemDigest(it) // Judge made sure it can be computed
			return d
		}
	}
	return ""
}

// digest is ItemDigest of it, computed once; only Judge calls it, so
// that a Book is only read once made.
func (b *Book) digest(it *checklist.Item) string {
	if d, ok := b.digests[it.ID]; ok {
		return d
	}
	d, _ := ItemDigest(it) // Judge made sure it can be computed
	b.digests[it.ID] = d
	return d
}

// judge decides a record's state: the first reason not to trust it wins,
// then whether what it signed has changed, then whether it is for this
// release, then whether it has expired.
func (b *Book) judge(j *Judged) (string, string) {
	if j.Err != nil {
		return Invalid, j.Err.Error()
	}
	r := j.Record
	if err := r.checkShape(); err != nil {
		return Invalid, err.Error()
	}
	var key ssh.PublicKey
	if j.Signature != "" {
		sig, err := ParseSSHSignature([]byte(j.Signature))
		if err != nil {
			return Invalid, err.Error()
		}
		if err := sig.Verify(Namespace, j.Bytes); err != nil {
			return Invalid, err.Error()
		}
		key = sig.PublicKey
		j.Signer = ssh.FingerprintSHA256(key)
		if r.Key != j.Signer {
			return Invalid, fmt.Sprintf("record names key %q but is signed by %s", r.Key, j.Signer)
		}
	} else if r.Key != "" {
		return Invalid, fmt.Sprintf("record names signing key %s but carries no signature (removed?)", r.Key)
	}
	sum := sha256.Sum256(j.Bytes)
	if j.SHA256 != hex.EncodeToString(sum[:]) {
		return Invalid, "record edited after it was written: its sha256 does not match"
	}
	if b.policy.AllowedSigners != "" {
		switch {
		case b.in.Allowed == nil || b.in.AllowedErr != nil:
			why := "not loaded"
			if b.in.AllowedErr != nil {
				why = b.in.AllowedErr.Error()
			}
			return Invalid, "cannot check signers: " + why
		case key == nil:
			return Invalid, "unsigned, but signoff.allowed_signers requires a signature by a listed key (--key)"
		}
		if err := b.in.Allowed.Check(r.Email, key, Namespace, b.in.Now); err != nil {
			return Invalid, err.Error()
		}
	}
	if r.Created.After(b.in.Now.Add(futureSkew)) {
		return Invalid, "created in the future (" + r.Created.UTC().Format(time.RFC3339) + ")"
	}
	if r.Role != "" {
		if err := b.policy.CheckRole(r.Role); err != nil {
			return Invalid, err.Error()
		}
		if role, ok := b.policy.Role(r.Role); ok && len(role.Signers) > 0 && !MatchPatternList(r.Email, strings.Join(role.Signers, ",")) {
			return Invalid, fmt.Sprintf("role %s may be signed only by %s, not by %q", r.Role, strings.Join(role.Signers, ", "), r.Email)
		}
	}
	switch r.Type {
	case Attest, Waive:
		it, ok := b.items[r.Item]
		if !ok {
			return Stale, fmt.Sprintf("item %q is no longer in the checklist", r.Item)
		}
		if r.Type == Attest && it.Manual == nil {
			return Invalid, fmt.Sprintf("item %s is checked by its %s probe: it cannot be attested, only waived", r.Item, it.Kind)
		}
		if r.Type == Waive && it.Manual != nil {
			return Invalid, fmt.Sprintf("item %s is manual: sign it off (readyctl signoff), do not waive it", r.Item)
		}
		if r.Type == Attest && len(it.Manual.Roles) > 0 && !slices.Contains(it.Manual.Roles, r.Role) {
			return Invalid, fmt.Sprintf("role %s may not attest %s (permitted: %s)", r.Role, r.Item, strings.Join(it.Manual.Roles, ", "))
		}
		if r.Type == Waive && it.Severity == checklist.Critical && !b.policy.AllowCriticalWaivers {
			return Invalid, fmt.Sprintf("item %s is critical, and the checklist does not allow critical waivers (signoff.allow_critical_waivers)", r.Item)
		}
		if r.ItemSHA256 != b.digest(it) {
			return Stale, fmt.Sprintf("the definition of item %s changed since it was signed", r.Item)
		}
	case Approve:
		if r.ChecklistSHA256 != b.in.Checklist.SHA256 {
			return Stale, fmt.Sprintf("the checklist changed since the approval (approved sha256 %s, now %s)", short(r.ChecklistSHA256), short(b.in.Checklist.SHA256))
		}
		if b.policy.ForbidSelfApproval {
			if a, ok := selfApproval(r, b.in.Actors); ok {
				return Invalid, fmt.Sprintf("self-approval: %s is the %s (%s), and the checklist forbids self-approval", r.Signer(), a.Source, a.Value)
			}
		}
	}
	if b.boundToRelease(r) && r.Release != b.in.Release {
		what := "release " + short(r.Release)
		if r.Release == "" {
			what = "no release"
		}
		return OtherRelease, fmt.Sprintf("signed for %s, this run is of release %s", what, short(b.in.Release))
	}
	if r.Expires != nil && !b.in.Now.Before(*r.Expires) {
		return Expired, "expired on " + r.Expires.UTC().Format(time.RFC3339)
	}
	if age := time.Duration(b.policy.MaxAge); age > 0 && r.Type != Waive && b.in.Now.Sub(r.Created) > age {
		return Expired, fmt.Sprintf("older than signoff.max_age %s (signed %s)", formatAge(age), r.Created.UTC().Format("2006-01-02"))
	}
	return Valid, ""
}

// boundToRelease: approvals always are, attestations when the policy says
// so; a run with no release (outside git, no --release) binds nothing.
func (b *Book) boundToRelease(r *Record) bool {
	if b.in.Release == "" {
		return false
	}
	return r.Type == Approve || (r.Type == Attest && b.policy.BindAttestationsToRelease)
}

// chooseApprovals picks a valid approval for each required role. With
// distinct_signers, the earliest approval a person gave keeps its role;
// their later approvals for other required roles become invalid.
func (b *Book) chooseApprovals() {
	type slot struct{ env, role string }
	filled := map[slot]bool{}
	var used []*Judged
	for _, j := range b.entries {
		r := j.Record
		if r == nil || r.Type != Approve || j.State != Valid || !j.applies || !slices.Contains(b.policy.Require, r.Role) {
			continue
		}
		s := slot{r.Environment, r.Role}
		if filled[s] {
			continue
		}
		if b.policy.DistinctSigners {
			var prev *Judged
			for _, u := range used {
				if u.Record.Environment == r.Environment && samePerson(u, j) {
					prev = u
					break
				}
			}
			if prev != nil {
				j.State = Invalid
				j.Reason = fmt.Sprintf("distinct_signers: %s already approved as %s; one person cannot fill two required roles", r.Signer(), prev.Record.Role)
				continue
			}
		}
		filled[s] = true
		used = append(used, j)
		if cur, ok := b.chosen[r.Role]; !ok || cur.Record.Environment == "" {
			b.chosen[r.Role] = j
		}
	}
}

// Attestation decides a manual item: the newest valid attestation (which
// may say no), else why none counts.
func (b *Book) Attestation(item string) Decision {
	return b.decide(Attest, item)
}

// Waiver decides whether a failing item is waived: a valid waiver, else
// the newest one that does not apply, if any (shown, changing nothing).
func (b *Book) Waiver(item string) Decision {
	return b.decide(Waive, item)
}

func (b *Book) decide(t Type, item string) Decision {
	d := Decision{Item: item, State: Missing}
	newest, valid := b.latest(t, item)
	switch {
	case valid != nil:
		d.State, d.Record = Valid, valid
		d.Rejected = t == Attest && valid.Record.Decision == Rejected
	case newest != nil:
		d.State, d.Record = newest.State, newest
	}
	return d
}

// Approvals are the approval decisions of the run: one per required role
// (Missing when nobody approved), then one per other declared role that
// has an approval record.
func (b *Book) Approvals() []Decision {
	var out []Decision
	for _, role := range b.policy.Require {
		d := Decision{Role: role, Required: true, State: Missing}
		if j := b.chosen[role]; j != nil {
			d.State, d.Record = Valid, j
		} else if newest, _ := b.latestApproval(role); newest != nil {
			d.State, d.Record = newest.State, newest
		}
		out = append(out, d)
	}
	for _, r := range b.policy.Roles {
		if slices.Contains(b.policy.Require, r.ID) {
			continue
		}
		newest, valid := b.latestApproval(r.ID)
		switch {
		case valid != nil:
			out = append(out, Decision{Role: r.ID, State: Valid, Record: valid})
		case newest != nil:
			out = append(out, Decision{Role: r.ID, State: newest.State, Record: newest})
		}
	}
	return out
}

// latest returns the newest applicable record of type t for an item, and
// the newest valid one.
func (b *Book) latest(t Type, item string) (newest, valid *Judged) {
	for _, j := range b.entries {
		if j.Record == nil || !j.applies || j.Record.Type != t || j.Record.Item != item {
			continue
		}
		newest = j
		if j.State == Valid {
			valid = j
		}
	}
	return newest, valid
}

func (b *Book) latestApproval(role string) (newest, valid *Judged) {
	for _, j := range b.entries {
		if j.Record == nil || !j.applies || j.Record.Type != Approve || j.Record.Role != role {
			continue
		}
		newest = j
		if j.State == Valid {
			valid = j
		}
	}
	return newest, valid
}

// Signer is the person as shown in messages: Name <email>.
func (r *Record) Signer() string {
	if r.Email != "" {
		return fmt.Sprintf("%s <%s>", r.Name, r.Email)
	}
	return r.Name
}

// selfApproval reports whether the approver is one of the actors.
func selfApproval(r *Record, actors []Actor) (Actor, bool) {
	ids := map[string]bool{}
	for _, s := range []string{r.Name, r.Email} {
		if s = strings.ToLower(strings.TrimSpace(s)); s != "" {
			ids[s] = true
		}
	}
	if local, _, ok := strings.Cut(strings.ToLower(r.Email), "@"); ok && local != "" {
		ids[local] = true
	}
	for _, a := range actors {
		if v := strings.ToLower(strings.TrimSpace(a.Value)); v != "" && ids[v] {
			return a, true
		}
	}
	return Actor{}, false
}

// samePerson: the same verified key, or the same email, or (when either
// gave no email) the same name.
func samePerson(a, b *Judged) bool {
	if a.Signer != "" && a.Signer == b.Signer {
		return true
	}
	ra, rb := a.Record, b.Record
	if ra.Email != "" && rb.Email != "" {
		return strings.EqualFold(ra.Email, rb.Email)
	}
	return strings.EqualFold(strings.TrimSpace(ra.Name), strings.TrimSpace(rb.Name))
}

// Short abbreviates a digest or commit for messages.
func Short(s string) string { return short(s) }

func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

func formatAge(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}
