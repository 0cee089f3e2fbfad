package signoff

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/readyctl/readyctl/internal/checklist"
)

// sealed returns r as an entry, without writing it anywhere.
func (f *fixture) sealed(r *Record) *Entry {
	f.t.Helper()
	e, err := Seal(r, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return e
}

// TestJudgeIsPure: records judged straight from memory, no directory,
// give the same states as records read from disk.
func TestJudgeIsPure(t *testing.T) {
	f := newFixture(t, "", false)
	stale := f.record(Attest, "rollback-tested", "qa-lead")
	stale.ItemSHA256 = strings.Repeat("0", 64)
	entries := []*Entry{f.sealed(f.record(Attest, "rollback-tested", "qa-lead")), f.sealed(stale)}
	b, err := Judge(Input{Checklist: f.cl, Now: now}, entries)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Entries(); len(got) != 2 || got[0].State != Valid || got[1].State != Stale {
		t.Fatalf("judged %+v", got)
	}
	if _, err := os.Stat(f.dir); !os.IsNotExist(err) {
		t.Errorf("judging touched the sign-off directory: %v", err)
	}
	if _, err := Judge(Input{Checklist: f.cl}, nil); err == nil {
		t.Error("a judge with no clock should refuse, not read the wall clock")
	}
}

// TestTryBeforeWrite: a record is judged with the book before it is
// written; one that would not count never reaches the directory.
func TestTryBeforeWrite(t *testing.T) {
	f := newFixture(t, "", false)
	f.write(f.record(Approve, "", "qa-lead"), nil)
	b := f.open()
	// Same person for a second required role: refused by distinct_signers,
	// which only the book (the other records) can tell.
	again := f.record(Approve, "", "lead-developer")
	again.Created = now.Add(-time.Hour)
	j, err := b.Try(f.sealed(again))
	if err != nil {
		t.Fatal(err)
	}
	if j.State != Invalid || !strings.Contains(j.Reason, "distinct_signers") {
		t.Errorf("candidate %s (%s), want invalid by distinct_signers", j.State, j.Reason)
	}
	bad := f.record(Attest, "rollback-tested", "janitor")
	if j, _ := b.Try(f.sealed(bad)); j.State != Invalid || !strings.Contains(j.Reason, `role "janitor" is not declared in signoff.roles (declared: qa-lead, devops-engineer, lead-developer, security-analyst)`) {
		t.Errorf("undeclared role: %s (%s)", j.State, j.Reason)
	}
	files, _ := os.ReadDir(f.dir)
	if len(files) != 1 {
		t.Errorf("%d files after trying, want only the first record", len(files))
	}
	// Trying leaves the book as it was.
	if b.Entries()[0].State != Valid || len(b.Entries()) != 1 {
		t.Errorf("book changed by Try: %+v", b.Entries())
	}
}

// TestReleaseBinding (issue 10 §5): an approval counts only for the
// release it was given for; attestations only when the policy says so;
// a run with no release binds nothing.
func TestReleaseBinding(t *testing.T) {
	f := newFixture(t, "", false)
	approval := f.record(Approve, "", "qa-lead")
	approval.Release = "1111111111111111111111111111111111111111"
	attest := f.record(Attest, "rollback-tested", "qa-lead")
	attest.Release = approval.Release
	entries := []*Entry{f.sealed(approval), f.sealed(attest)}
	judge := func(release string) *Book {
		b, err := Judge(Input{Checklist: f.cl, Now: now, Release: release}, entries)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, release := range []string{"", approval.Release} {
		b := judge(release)
		if d := b.Approvals()[0]; !d.Counts() {
			t.Errorf("release %q: approval %+v", release, d)
		}
	}
	b := judge("2222222222222222222222222222222222222222")
	d := b.Approvals()[0]
	if d.State != OtherRelease || d.Counts() || d.Record.Reason != "signed for release 111111111111, this run is of release 222222222222" {
		t.Errorf("approval of another release: %+v %q", d, d.Record.Reason)
	}
	if d := b.Attestation("rollback-tested"); !d.Counts() {
		t.Errorf("attestations are not bound by default: %+v", d)
	}
	f.cl.Signoff.BindAttestationsToRelease = true
	if d := judge("2222222222222222222222222222222222222222").Attestation("rollback-tested"); d.State != OtherRelease {
		t.Errorf("bound attestation of another release: %+v", d)
	}
	// A record that names no release does not count for a run that has one.
	approval.Release = ""
	entries[0] = f.sealed(approval)
	if d := judge("2222222222222222222222222222222222222222").Approvals()[0]; d.State != OtherRelease || !strings.Contains(d.Record.Reason, "signed for no release") {
		t.Errorf("approval of no release: %+v", d)
	}
}

// TestPhaseBinding (issue 10 §5): an approval of a --phase run counts only
// for runs of that phase; an approval of a whole run counts for any.
func TestPhaseBinding(t *testing.T) {
	f := newFixture(t, "", false)
	pre := f.record(Approve, "", "qa-lead")
	pre.Phase = "pre-deploy"
	whole := f.record(Approve, "", "lead-developer")
	whole.Name, whole.Email = "Bob", "bob@example.com"
	entries := []*Entry{f.sealed(pre), f.sealed(whole)}
	for phase, want := range map[string]bool{"pre-deploy": true, "post-deploy": false, "": false} {
		b, err := Judge(Input{Checklist: f.cl, Now: now, Phase: phase}, entries)
		if err != nil {
			t.Fatal(err)
		}
		ds := b.Approvals()
		if ds[0].Counts() != want || !ds[1].Counts() {
			t.Errorf("phase %q: qa-lead counts %v (want %v), lead-developer %+v", phase, ds[0].Counts(), want, ds[1])
		}
	}
}

// TestHostileFiles (issue 17 §5): a FIFO, a link to /dev/zero, a link to
// a good record and an oversized file are listed as invalid records with
// the reason, never read. Reading /dev/zero would never end; opening the
// FIFO would block forever: the test finishing is the proof.
func TestHostileFiles(t *testing.T) {
	f := newFixture(t, "", false)
	good := f.write(f.record(Attest, "rollback-tested", "qa-lead"), nil)
	if err := syscall.Mkfifo(filepath.Join(f.dir, "fifo.json"), 0o644); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	must(t, os.Symlink("/dev/zero", filepath.Join(f.dir, "zero.json")))
	must(t, os.Symlink(good, filepath.Join(f.dir, "link.json")))
	must(t, os.WriteFile(filepath.Join(f.dir, "huge.json"), make([]byte, MaxRecordSize+1), 0o644))
	done := make(chan *Book)
	go func() { done <- f.open() }()
	var b *Book
	select {
	case b = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("reading the sign-off directory blocked")
	}
	want := map[string]string{
		"fifo.json": "is a named pipe (FIFO), not a regular file: not read",
		"zero.json": "is a symbolic link, not a regular file: not read",
		"link.json": "is a symbolic link, not a regular file: not read",
		"huge.json": "more than the 65536 a readyctl file may have",
	}
	valid := 0
	for _, j := range b.Entries() {
		if j.State == Valid {
			valid++
			continue
		}
		w, ok := want[filepath.Base(j.Path)]
		if !ok || j.State != Invalid || !strings.Contains(j.Reason, w) {
			t.Errorf("%s: %s (%s), want invalid: %s", j.Path, j.State, j.Reason, w)
		}
		delete(want, filepath.Base(j.Path))
	}
	if valid != 1 || len(want) != 0 || len(b.Problems()) != 4 {
		t.Errorf("valid %d, not listed %v, problems %v", valid, want, b.Problems())
	}
}

// TestHostileAllowedSigners: allowed_signers is read the same way.
func TestHostileAllowedSigners(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "allowed_signers")
	must(t, os.Symlink("/dev/zero", link))
	if _, err := LoadAllowedSigners(link); err == nil || !strings.Contains(err.Error(), "is a symbolic link") {
		t.Errorf("link to /dev/zero: %v", err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("no FIFOs here: %v", err)
	}
	if _, err := LoadAllowedSigners(fifo); err == nil || !strings.Contains(err.Error(), "named pipe") {
		t.Errorf("FIFO: %v", err)
	}
	big := filepath.Join(dir, "big")
	must(t, os.WriteFile(big, make([]byte, MaxAllowedSignersSize+1), 0o644))
	if _, err := LoadAllowedSigners(big); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("oversized: %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestJudgeDigestsOnlySignedItems: a run with no record computes no item
// digest (10,000 of them were a run's fixed cost, issue 16), yet an item
// whose digest cannot be computed still fails the judging, and a record
// is still judged against its item's digest.
func TestJudgeDigestsOnlySignedItems(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("version: 1\nsections:\n  - id: s\n    items:\n")
	for i := range 2000 {
		fmt.Fprintf(&sb, "      - id: item-%d\n        http: {url: 'http://127.0.0.1/%d', status: [200]}\n", i, i)
	}
	cl, err := checklist.Parse("c.yaml", []byte(sb.String()), checklist.Options{})
	if err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(3, func() {
		if _, err := Judge(Input{Checklist: cl, Now: now}, nil); err != nil {
			t.Fatal(err)
		}
	})
	// Computing the digests is dozens of allocations per item.
	if allocs > 100 {
		t.Errorf("judging 2,000 items and no record: %.0f allocations, want a handful", allocs)
	}

	// A request body nested deeper than a digest goes: loaded, but not
	// digestable.
	deep := "version: 1\nsections:\n  - id: s\n    items:\n      - id: ok\n        http: {url: 'http://127.0.0.1/'}\n      - id: deep\n        http:\n          url: http://127.0.0.1/\n          method: POST\n          json: " +
		strings.Repeat("[", 101) + strings.Repeat("]", 101) + "\n"
	cl, err = checklist.Parse("c.yaml", []byte(deep), checklist.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Judge(Input{Checklist: cl, Now: now}, nil); err == nil || !strings.Contains(err.Error(), "nested too deeply") {
		t.Errorf("an item nested too deeply to digest: %v, want the digest's error", err)
	}
}
