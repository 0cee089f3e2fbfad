package signoff

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/readyctl/readyctl/internal/checklist"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const bookChecklist = `version: 1
name: book
environments: {production: {}, staging: {}}
signoff:
  roles:
    - {id: qa-lead, title: QA Lead}
    - {id: devops-engineer, title: DevOps Engineer}
    - {id: lead-developer, title: Lead Developer}
    - {id: security-analyst, signers: ["*@sec.example.com"]}
  require: [qa-lead, lead-developer]
  max_age: 30d
  distinct_signers: true
  forbid_self_approval: true
ALLOWED
sections:
  - id: s
    items:
      - id: rollback-tested
        title: Rollback procedure tested
        manual: {roles: [qa-lead, devops-engineer]}
      - id: pentest
        manual: {roles: [security-analyst]}
      - id: legacy
        severity: warning
        http: {url: "http://127.0.0.1:1/"}
      - id: api
        http: {url: "http://127.0.0.1:1/"}
`

type fixture struct {
	t      *testing.T
	dir    string // sign-off records
	cl     *checklist.Checklist
	alice  ssh.Signer // in allowed_signers as alice@example.com
	mallet ssh.Signer // in no allowed_signers
}

// newFixture loads the book checklist (with an allowed_signers file when
// signed is true) in environment env.
func newFixture(t *testing.T, env string, signed bool) *fixture {
	t.Helper()
	root := t.TempDir()
	f := &fixture{t: t, dir: filepath.Join(root, ".readyctl", "signoffs")}
	_, a, _ := ed25519.GenerateKey(rand.Reader)
	_, m, _ := ed25519.GenerateKey(rand.Reader)
	f.alice, f.mallet = signerOf(t, a), signerOf(t, m)
	allowed := ""
	if signed {
		allowed = "  allowed_signers: allowed_signers"
		os.WriteFile(filepath.Join(root, "allowed_signers"), []byte("alice@example.com "+string(ssh.MarshalAuthorizedKey(f.alice.PublicKey()))), 0o644)
	}
	path := filepath.Join(root, "checklist.yaml")
	os.WriteFile(path, []byte(strings.Replace(bookChecklist, "ALLOWED", allowed, 1)), 0o644)
	cl, err := checklist.Load(path, checklist.Options{Env: env})
	if err != nil {
		t.Fatal(err)
	}
	f.cl = cl
	return f
}

func (f *fixture) item(id string) *checklist.Item {
	for _, it := range f.cl.Items() {
		if it.ID == id {
			return it
		}
	}
	f.t.Fatalf("no item %s", id)
	return nil
}

// record returns a record as the commands would make it, created a day
// before now.
func (f *fixture) record(typ Type, item, role string) *Record {
	r := &Record{Type: typ, Item: item, Role: role, Name: "Alice Example", Email: "alice@example.com",
		Created: now.Add(-24 * time.Hour), ChecklistSHA256: f.cl.SHA256, Checklist: f.cl.Name}
	switch typ {
	case Attest:
		r.Decision = Confirmed
	case Waive:
		exp := now.Add(7 * 24 * time.Hour)
		r.Expires, r.Note = &exp, "retired next sprint"
	case Approve:
		r.ReportSHA256, r.ReportVerdict = strings.Repeat("ab", 32), "ready"
	}
	if it := f.find(item); it != nil {
		r.ItemSHA256, _ = ItemDigest(it)
	}
	return r
}

func (f *fixture) find(id string) *checklist.Item {
	for _, it := range f.cl.Items() {
		if it.ID == id {
			return it
		}
	}
	return nil
}

func (f *fixture) write(r *Record, s ssh.Signer) string {
	f.t.Helper()
	p, err := Write(f.dir, r, s)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *fixture) open(actors ...Actor) *Book {
	f.t.Helper()
	b, err := Open(Options{Checklist: f.cl, Dir: f.dir, Now: now, Actors: actors})
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

// judged returns the state and reason of the one record in the book.
func judged(t *testing.T, b *Book) (string, string) {
	t.Helper()
	if len(b.Entries()) != 1 {
		t.Fatalf("%d records, want 1", len(b.Entries()))
	}
	j := b.Entries()[0]
	return j.State, j.Reason
}

// TestJudge: each way a record can fail to count is told apart, with a
// reason a person can act on (acceptance 2, at the package level).
func TestJudge(t *testing.T) {
	cases := []struct {
		name   string
		signed bool             // policy has allowed_signers
		setup  func(f *fixture) // writes exactly one record
		actors []Actor
		state  string
		reason string
	}{
		{"valid attestation", false, func(f *fixture) { f.write(f.record(Attest, "rollback-tested", "qa-lead"), nil) }, nil, Valid, ""},
		{"role not permitted for item", false, func(f *fixture) { f.write(f.record(Attest, "rollback-tested", "lead-developer"), nil) }, nil,
			Invalid, "role lead-developer may not attest rollback-tested (permitted: qa-lead, devops-engineer)"},
		{"role not declared", false, func(f *fixture) { f.write(f.record(Attest, "rollback-tested", "janitor"), nil) }, nil,
			Invalid, `role "janitor" is not declared in signoff.roles`},
		{"role signers", false, func(f *fixture) { f.write(f.record(Attest, "pentest", "security-analyst"), nil) }, nil,
			Invalid, `role security-analyst may be signed only by *@sec.example.com, not by "alice@example.com"`},
		{"stale: item changed", false, func(f *fixture) {
			r := f.record(Attest, "rollback-tested", "qa-lead")
			r.ItemSHA256 = strings.Repeat("0", 64)
			f.write(r, nil)
		}, nil, Stale, "the definition of item rollback-tested changed since it was signed"},
		{"stale: item removed", false, func(f *fixture) { f.write(f.record(Attest, "gone", "qa-lead"), nil) }, nil,
			Stale, `item "gone" is no longer in the checklist`},
		{"expired", false, func(f *fixture) {
			r := f.record(Attest, "rollback-tested", "qa-lead")
			exp := now.Add(-time.Hour)
			r.Expires = &exp
			f.write(r, nil)
		}, nil, Expired, "expired on 2026-03-01T11:00:00Z"},
		{"older than max_age", false, func(f *fixture) {
			r := f.record(Attest, "rollback-tested", "qa-lead")
			r.Created = now.Add(-31 * 24 * time.Hour)
			f.write(r, nil)
		}, nil, Expired, "older than signoff.max_age 30d (signed 2026-01-29)"},
		{"created in the future", false, func(f *fixture) {
			r := f.record(Attest, "rollback-tested", "qa-lead")
			r.Created = now.Add(time.Hour)
			f.write(r, nil)
		}, nil, Invalid, "created in the future"},
		{"attesting a probe item", false, func(f *fixture) { f.write(f.record(Attest, "legacy", "qa-lead"), nil) }, nil,
			Invalid, "item legacy is checked by its http probe: it cannot be attested, only waived"},
		{"unsigned record edited", false, func(f *fixture) {
			p := f.write(f.record(Attest, "rollback-tested", "qa-lead"), nil)
			editFile(f.t, p, "Alice Example", "Alice Exbmple")
		}, nil, Invalid, "record edited after it was written: its sha256 does not match"},
		{"signed record edited", false, func(f *fixture) {
			p := f.write(f.record(Attest, "rollback-tested", "qa-lead"), f.alice)
			editFile(f.t, p, "Alice Example", "Alice Exbmple")
		}, nil, Invalid, "signature does not match the record: edited after signing"},
		{"signature removed", false, func(f *fixture) {
			p := f.write(f.record(Attest, "rollback-tested", "qa-lead"), f.alice)
			data, _ := os.ReadFile(p)
			i := bytes.Index(data, []byte(",\n  \"signature\""))
			os.WriteFile(p, append(data[:i], []byte("\n}\n")...), 0o644)
		}, nil, Invalid, "carries no signature (removed?)"},
		{"signed, allowed", true, func(f *fixture) { f.write(f.record(Attest, "rollback-tested", "qa-lead"), f.alice) }, nil, Valid, ""},
		{"unsigned under allowed_signers", true, func(f *fixture) { f.write(f.record(Attest, "rollback-tested", "qa-lead"), nil) }, nil,
			Invalid, "unsigned, but signoff.allowed_signers requires a signature"},
		{"key not in allowed_signers", true, func(f *fixture) { f.write(f.record(Attest, "rollback-tested", "qa-lead"), f.mallet) }, nil,
			Invalid, "is not in allowed_signers"},
		{"key of someone else", true, func(f *fixture) {
			r := f.record(Attest, "rollback-tested", "qa-lead")
			r.Email = "mallory@example.com"
			f.write(r, f.alice)
		}, nil, Invalid, "belongs to alice@example.com in allowed_signers, not to mallory@example.com"},
		{"valid waiver", false, func(f *fixture) { f.write(f.record(Waive, "legacy", ""), nil) }, nil, Valid, ""},
		{"critical waiver not allowed", false, func(f *fixture) { f.write(f.record(Waive, "api", ""), nil) }, nil,
			Invalid, "item api is critical, and the checklist does not allow critical waivers (signoff.allow_critical_waivers)"},
		{"waiving a manual item", false, func(f *fixture) { f.write(f.record(Waive, "rollback-tested", ""), nil) }, nil,
			Invalid, "is manual: sign it off"},
		{"valid approval", false, func(f *fixture) { f.write(f.record(Approve, "", "qa-lead"), nil) }, nil, Valid, ""},
		{"approval of another checklist", false, func(f *fixture) {
			r := f.record(Approve, "", "qa-lead")
			r.ChecklistSHA256 = strings.Repeat("1", 64)
			f.write(r, nil)
		}, nil, Stale, "the checklist changed since the approval"},
		{"self-approval by CI actor", false, func(f *fixture) { f.write(f.record(Approve, "", "qa-lead"), nil) },
			[]Actor{{"GITHUB_ACTOR", "alice"}}, Invalid, "self-approval: Alice Example <alice@example.com> is the GITHUB_ACTOR (alice)"},
		{"self-approval by commit author", false, func(f *fixture) { f.write(f.record(Approve, "", "qa-lead"), nil) },
			[]Actor{{"commit author", "Alice@Example.com"}}, Invalid, "is the commit author"},
		{"someone else is the actor", false, func(f *fixture) { f.write(f.record(Approve, "", "qa-lead"), nil) },
			[]Actor{{"GITHUB_ACTOR", "bob"}, {"commit author", "Bob <bob@example.com>"}}, Valid, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, "", tc.signed)
			tc.setup(f)
			state, reason := judged(t, f.open(tc.actors...))
			if state != tc.state || !strings.Contains(reason, tc.reason) || (tc.reason == "" && reason != "") {
				t.Errorf("state %s (%s), want %s (%s)", state, reason, tc.state, tc.reason)
			}
		})
	}
}

func editFile(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(old)) {
		t.Fatalf("%s has no %q", path, old)
	}
	os.WriteFile(path, bytes.Replace(data, []byte(old), []byte(new), 1), 0o644)
}

func TestAttestationDecisions(t *testing.T) {
	f := newFixture(t, "production", false)
	if d := f.open().Attestation("rollback-tested"); d.State != Missing || d.Record != nil || d.Counts() {
		t.Errorf("no record: %+v", d)
	}
	// A record for another environment does not count here.
	staging := f.record(Attest, "rollback-tested", "qa-lead")
	staging.Environment = "staging"
	f.write(staging, nil)
	if d := f.open().Attestation("rollback-tested"); d.State != Missing {
		t.Errorf("staging record in production: %+v", d)
	}
	// An expired one is the decision's record, and says why.
	old := f.record(Attest, "rollback-tested", "devops-engineer")
	old.Created = now.Add(-40 * 24 * time.Hour)
	f.write(old, nil)
	d := f.open().Attestation("rollback-tested")
	if d.State != Expired || d.Counts() || d.Record == nil || !strings.Contains(d.Record.Reason, "older than signoff.max_age 30d") {
		t.Errorf("expired: %+v", d)
	}
	// A valid one counts, with who signed.
	f.write(f.record(Attest, "rollback-tested", "qa-lead"), nil)
	d = f.open().Attestation("rollback-tested")
	if d.State != Valid || !d.Counts() || d.Record.Record.Name != "Alice Example" || d.Record.Record.Role != "qa-lead" {
		t.Errorf("valid: %+v", d)
	}
	// A newer valid "no" rejects the item.
	no := f.record(Attest, "rollback-tested", "qa-lead")
	no.Created, no.Decision, no.Note = now.Add(-time.Hour), Rejected, "restore took 3h"
	f.write(no, nil)
	d = f.open().Attestation("rollback-tested")
	if d.State != Valid || !d.Rejected || d.Counts() || d.Record.Record.Note != "restore took 3h" {
		t.Errorf("rejected: %+v", d)
	}
}

func TestWaiverDecisions(t *testing.T) {
	f := newFixture(t, "", false)
	if d := f.open().Waiver("legacy"); d.State != Missing || d.Counts() {
		t.Errorf("no waiver: %+v", d)
	}
	expired := f.record(Waive, "legacy", "")
	e := now.Add(-time.Minute)
	expired.Expires = &e
	f.write(expired, nil)
	if d := f.open().Waiver("legacy"); d.State != Expired || d.Counts() || d.Record == nil {
		t.Errorf("expired waiver: %+v", d)
	}
	f.write(f.record(Waive, "legacy", ""), nil)
	d := f.open().Waiver("legacy")
	if !d.Counts() || d.Record.Record.Note != "retired next sprint" || !d.Record.Record.Expires.Equal(now.Add(7*24*time.Hour)) {
		t.Errorf("waived: %+v", d)
	}
}

// TestRequiredApprovals: every required role has a decision (missing ones
// too), and distinct_signers stops one person filling two roles.
func TestRequiredApprovals(t *testing.T) {
	f := newFixture(t, "", false)
	ds := f.open().Approvals()
	if len(ds) != 2 || ds[0].Role != "qa-lead" || ds[0].State != Missing || !ds[0].Required || ds[1].Role != "lead-developer" {
		t.Fatalf("no approvals: %+v", ds)
	}
	f.write(f.record(Approve, "", "qa-lead"), nil)
	twice := f.record(Approve, "", "lead-developer")
	twice.Created = twice.Created.Add(time.Minute)
	twice.Email = "ALICE@example.com"
	f.write(twice, nil)
	ds = f.open().Approvals()
	if ds[0].State != Valid || ds[1].State != Invalid ||
		ds[1].Record.Reason != "distinct_signers: Alice Example <ALICE@example.com> already approved as qa-lead; one person cannot fill two required roles" {
		t.Fatalf("same person twice: %+v", ds)
	}
	bob := f.record(Approve, "", "lead-developer")
	bob.Name, bob.Email = "Bob", "bob@example.com"
	f.write(bob, nil)
	ds = f.open().Approvals()
	if !ds[0].Counts() || !ds[1].Counts() || ds[1].Record.Record.Name != "Bob" {
		t.Fatalf("two people: %+v", ds)
	}
	// An approval of a role not required is shown, not required.
	f.write(f.record(Approve, "", "devops-engineer"), nil)
	ds = f.open().Approvals()
	if len(ds) != 3 || ds[2].Role != "devops-engineer" || ds[2].Required {
		t.Fatalf("other role: %+v", ds)
	}
}

func TestWriteNamesAndReadDir(t *testing.T) {
	f := newFixture(t, "", false)
	p := f.write(f.record(Attest, "rollback-tested", "qa-lead"), f.alice)
	name := filepath.Base(p)
	if ok, _ := filepath.Match("20260228T120000Z-attest-rollback-tested-????????????????.json", name); !ok {
		t.Errorf("file name %s", name)
	}
	// Not records: reported, not skipped; temp files and dot-files ignored.
	os.WriteFile(filepath.Join(f.dir, "junk.json"), []byte("{nope"), 0o644)
	os.WriteFile(filepath.Join(f.dir, ".tmp-123"), []byte("{"), 0o644)
	b := f.open()
	if len(b.Entries()) != 2 || b.Entries()[0].State != Valid || b.Entries()[1].State != Invalid || len(b.Problems()) != 1 {
		t.Errorf("entries %+v problems %v", b.Entries(), b.Problems())
	}
	e := ReadFile(p)
	if e.Record.Key != ssh.FingerprintSHA256(f.alice.PublicKey()) || !strings.HasPrefix(e.Signature, "-----BEGIN SSH SIGNATURE-----") {
		t.Errorf("entry %+v", e)
	}
	entries, err := ReadDir(filepath.Join(f.dir, "missing"))
	if err != nil || entries != nil {
		t.Errorf("missing dir: %v %v", entries, err)
	}
}

func TestParseExpiry(t *testing.T) {
	for in, want := range map[string]time.Time{
		"2026-04-01":           time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC),
		"2026-04-01T10:00:00Z": time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC),
		"30d":                  now.Add(30 * 24 * time.Hour),
		"72h":                  now.Add(72 * time.Hour),
	} {
		if got, err := ParseExpiry(in, now); err != nil || !got.Equal(want) {
			t.Errorf("ParseExpiry(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"tomorrow", "0", "-3d", "2026-13-01"} {
		if _, err := ParseExpiry(in, now); err == nil {
			t.Errorf("ParseExpiry(%q) accepted", in)
		}
	}
}

// TestCriticalWaiverAllowed: with allow_critical_waivers a critical
// failing item can be waived; without it (TestJudge) it cannot.
func TestCriticalWaiverAllowed(t *testing.T) {
	f := newFixture(t, "", false)
	f.cl.Signoff.AllowCriticalWaivers = true
	f.write(f.record(Waive, "api", ""), nil)
	if d := f.open().Waiver("api"); !d.Counts() {
		t.Errorf("critical waiver under allow_critical_waivers: %+v", d)
	}
}
