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

	"github.com/readyctl/readyctl/checks"

	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/redact"
	"github.com/readyctl/readyctl/internal/report"
)

// States of a sign-off.
const (
	Valid   = "valid"
	Missing = "missing" // a required approval nobody gave
	Expired = "expired"
	Stale   = "stale"   // what was signed has changed since
	Invalid = "invalid" // cannot be trusted: edited, bad or unknown key, role not permitted, ...
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

// Options open a Book.
type Options struct {
	Checklist *checklist.Checklist
	Dir       string
	Now       time.Time
	Actors    []Actor
	// AllEnvironments judges every record, whatever its environment
	// (signoffs list); otherwise only records for the checklist's
	// environment, or for none, count.
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

// Book is the sign-offs of one checklist, judged against it. It answers
// the runner's questions (it implements runner.Signoffs) and is safe for
// concurrent use: everything is decided when it is opened.
type Book struct {
	cl       *checklist.Checklist
	policy   *checklist.SignoffPolicy
	now      time.Time
	actors   []Actor
	entries  []*Judged
	items    map[string]*checklist.Item
	digests  map[string]string
	allowed  *AllowedSigners
	allowErr error
	redactor *redact.Redactor
	chosen   map[string]*Judged // valid approval per required role
	problems []string
}

// Open reads the records in o.Dir and judges each one.
func Open(o Options) (*Book, error) {
	b := &Book{
		cl: o.Checklist, policy: &o.Checklist.Signoff, now: o.Now, actors: o.Actors,
		items: map[string]*checklist.Item{}, digests: map[string]string{},
		redactor: redact.New(o.Checklist.Secrets), chosen: map[string]*Judged{},
	}
	if b.now.IsZero() {
		b.now = time.Now()
	}
	for _, it := range o.Checklist.Items() {
		b.items[it.ID] = it
		d, err := ItemDigest(it)
		if err != nil {
			return nil, err
		}
		b.digests[it.ID] = d
	}
	if p := b.policy.AllowedSigners; p != "" {
		b.allowed, b.allowErr = LoadAllowedSigners(p)
		if b.allowErr != nil {
			b.problems = append(b.problems, b.allowErr.Error())
		}
	}
	entries, err := ReadDir(o.Dir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		j := &Judged{Entry: e}
		j.State, j.Reason = b.judge(j)
		if e.Record == nil {
			b.problems = append(b.problems, fmt.Sprintf("%s: %s", e.Path, j.Reason))
		} else {
			env := e.Record.Environment
			j.applies = o.AllEnvironments || env == "" || env == o.Checklist.Environment
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

// Entries are every record judged, oldest first (unreadable files last).
func (b *Book) Entries() []*Judged { return b.entries }

// Problems are files that are not records and an unreadable
// allowed_signers file: worth a warning, whatever the run.
func (b *Book) Problems() []string { return b.problems }

// AllowedSignersErr is why the policy's allowed_signers file could not be
// used, if it could not.
func (b *Book) AllowedSignersErr() error { return b.allowErr }

// ItemDigest is the digest of item id's definition now.
func (b *Book) ItemDigest(id string) string { return b.digests[id] }

// judge decides a record's state: the first reason not to trust it wins,
// then whether what it signed has changed, then whether it has expired.
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
		case b.allowErr != nil:
			return Invalid, "cannot check signers: " + b.allowErr.Error()
		case key == nil:
			return Invalid, "unsigned, but signoff.allowed_signers requires a signature by a listed key (--key)"
		}
		if err := b.allowed.Check(r.Email, key, Namespace, b.now); err != nil {
			return Invalid, err.Error()
		}
	}
	if r.Created.After(b.now.Add(futureSkew)) {
		return Invalid, "created in the future (" + r.Created.UTC().Format(time.RFC3339) + ")"
	}
	if r.Role != "" && len(b.policy.Roles) > 0 {
		role, ok := b.policy.Role(r.Role)
		if !ok {
			return Invalid, fmt.Sprintf("role %q is not declared in signoff.roles", r.Role)
		}
		if len(role.Signers) > 0 && !MatchPatternList(r.Email, strings.Join(role.Signers, ",")) {
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
		if r.ItemSHA256 != b.digests[r.Item] {
			return Stale, fmt.Sprintf("the definition of item %s changed since it was signed", r.Item)
		}
	case Approve:
		if r.ChecklistSHA256 != b.cl.SHA256 {
			return Stale, fmt.Sprintf("the checklist changed since the approval (approved sha256 %s, now %s)", short(r.ChecklistSHA256), short(b.cl.SHA256))
		}
		if b.policy.ForbidSelfApproval {
			if a, ok := selfApproval(r, b.actors); ok {
				return Invalid, fmt.Sprintf("self-approval: %s is the %s (%s), and the checklist forbids self-approval", signerName(r), a.Source, a.Value)
			}
		}
	}
	if r.Expires != nil && !b.now.Before(*r.Expires) {
		return Expired, "expired on " + r.Expires.UTC().Format(time.RFC3339)
	}
	if age := time.Duration(b.policy.MaxAge); age > 0 && r.Type != Waive && b.now.Sub(r.Created) > age {
		return Expired, fmt.Sprintf("older than signoff.max_age %s (signed %s)", formatAge(age), r.Created.UTC().Format("2006-01-02"))
	}
	return Valid, ""
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
				j.Reason = fmt.Sprintf("distinct_signers: %s already approved as %s; one person cannot fill two required roles", signerName(r), prev.Record.Role)
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

// Manual decides a manual item: pass with a valid attestation by a
// permitted role, fail when that person said no, else pending with the
// reason of the newest record (or signoff_missing).
func (b *Book) Manual(it *checklist.Item) report.Item {
	res := report.Item{
		ID: it.ID, Section: it.Section.ID, Title: b.redactor.String(it.Title), Kind: it.Kind,
		Severity: string(it.Severity), Observations: map[string]any{},
	}
	newest, valid := b.latest(Attest, it.ID)
	switch {
	case valid != nil && valid.Record.Decision == Rejected:
		res.Status, res.Reason = report.Fail, checks.ReasonSignoffRejected
		res.Message = fmt.Sprintf("%s (%s) answered no", signerName(valid.Record), valid.Record.Role)
		if valid.Record.Note != "" {
			res.Message += ": " + b.redactor.String(valid.Record.Note)
		}
		res.Signoff = b.row(valid)
	case valid != nil:
		res.Status = report.Pass
		res.Signoff = b.row(valid)
	case newest != nil:
		res.Status, res.Reason = report.Pending, "signoff_"+newest.State
		res.Message = fmt.Sprintf("sign-off by %s (%s, %s) is %s: %s; %s", signerName(newest.Record), newest.Record.Role,
			newest.Record.Created.UTC().Format("2006-01-02"), newest.State, newest.Reason, signHint(it))
		res.Signoff = b.row(newest)
	default:
		res.Status, res.Reason = report.Pending, checks.ReasonSignoffMissing
		res.Message = "waiting for a sign-off"
		if len(it.Manual.Roles) > 0 {
			res.Message += " by " + strings.Join(it.Manual.Roles, " or ")
		}
		res.Message += ": " + signHint(it)
	}
	return res
}

// Waive turns a failing item into waived when a valid waiver covers it.
// An expired, stale or invalid waiver is shown, and changes nothing.
func (b *Book) Waive(it *checklist.Item, res report.Item) report.Item {
	newest, valid := b.latest(Waive, it.ID)
	switch {
	case valid != nil:
		r := valid.Record
		was := res.Message
		res.Status = report.Waived
		res.Message = fmt.Sprintf("waived until %s by %s: %s", r.Expires.UTC().Format("2006-01-02"), signerName(r), b.redactor.String(r.Note))
		if was != "" {
			res.Message += " (was: " + was + ")"
		}
		res.Signoff = b.row(valid)
	case newest != nil:
		res.Message += fmt.Sprintf(" (waiver by %s does not apply: %s: %s)", signerName(newest.Record), newest.State, newest.Reason)
		res.Signoff = b.row(newest)
	}
	return res
}

// Finish returns the sign-off table (required approvals first, then other
// approvals, then the sign-offs of the run's items) and whether every
// required role approved.
func (b *Book) Finish(rep *report.Report) ([]report.Signoff, bool) {
	table := []report.Signoff{}
	met := true
	for _, role := range b.policy.Require {
		if j := b.chosen[role]; j != nil {
			table = append(table, *b.row(j))
			continue
		}
		met = false
		if newest, _ := b.latestApproval(role); newest != nil {
			table = append(table, *b.row(newest))
			continue
		}
		table = append(table, report.Signoff{
			Type: string(Approve), Role: role, RoleTitle: b.roleTitle(role), State: Missing,
			Reason: "no approval: readyctl approve --role " + role + " --report REPORT.json",
		})
	}
	for _, r := range b.policy.Roles {
		if slices.Contains(b.policy.Require, r.ID) {
			continue
		}
		if newest, valid := b.latestApproval(r.ID); valid != nil {
			table = append(table, *b.row(valid))
		} else if newest != nil {
			table = append(table, *b.row(newest))
		}
	}
	for _, it := range rep.Items {
		if it.Signoff != nil {
			table = append(table, *it.Signoff)
		}
	}
	return table, met
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

// Row is a judged record as a line of the report's sign-off table.
func (b *Book) Row(j *Judged) report.Signoff { return *b.row(j) }

func (b *Book) row(j *Judged) *report.Signoff {
	r := j.Record
	s := &report.Signoff{
		Type: string(r.Type), Item: r.Item, Role: r.Role, RoleTitle: b.roleTitle(r.Role),
		Name: b.redactor.String(r.Name), Email: r.Email, Date: r.Created.UTC(),
		State: j.State, Reason: b.redactor.String(j.Reason), Note: b.redactor.String(r.Note),
		Key: j.Signer, Record: j.Path,
	}
	if r.Expires != nil {
		s.Expires = r.Expires.UTC()
	}
	if r.Decision == Rejected {
		s.Decision = Rejected
	}
	return s
}

func (b *Book) roleTitle(id string) string {
	if r, ok := b.policy.Role(id); ok && r.Title != id {
		return r.Title
	}
	return ""
}

func signHint(it *checklist.Item) string {
	role := "ROLE"
	if len(it.Manual.Roles) == 1 {
		role = it.Manual.Roles[0]
	}
	return fmt.Sprintf("readyctl signoff %s --role %s", it.ID, role)
}

func signerName(r *Record) string {
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
