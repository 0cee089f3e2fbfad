package signoff

import (
	"strings"
	"testing"
	"time"
)

// FuzzRecordFile: whatever bytes a sign-off file holds (it comes from git,
// so anyone can write it), decoding, judging its shape and parsing its
// signature never panic, and a file that decodes re-encodes to a record
// that decodes to the same subject.
func FuzzRecordFile(f *testing.F) {
	r := &Record{Schema: Schema, Type: Attest, Item: "smoke", Role: "qa-lead", Decision: Confirmed,
		Name: "Ada", Email: "ada@example.com", Created: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), ChecklistSHA256: "ab"}
	rec, _ := encodeRecord(r)
	f.Add(encodeFile(rec, ""))
	f.Add(encodeFile(rec, "-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----\n"))
	f.Add([]byte(`{"record": null}`))
	f.Add([]byte(`{"record": {"schema": 1}, "sha256": "x"}`))
	f.Add([]byte(`{"record": {"type": "waive", "expires": "9999-12-31T00:00:00Z"}}` + strings.Repeat(" ", 10)))
	f.Add([]byte("[" + strings.Repeat("[", 1000)))
	f.Fuzz(func(t *testing.T, data []byte) {
		env, rec, err := decodeFile(data)
		if err != nil || rec == nil {
			return
		}
		_ = rec.checkShape()
		_ = rec.Subject()
		if env.Signature != "" {
			_, _ = ParseSSHSignature([]byte(env.Signature))
		}
		again, err := encodeRecord(rec)
		if err != nil {
			return
		}
		_, rec2, err := decodeFile(encodeFile(again, ""))
		if err != nil {
			t.Fatalf("a decoded record does not round-trip: %v\n%s", err, again)
		}
		if rec2.Subject() != rec.Subject() {
			t.Fatalf("subject %q became %q", rec.Subject(), rec2.Subject())
		}
	})
}

// FuzzSignerPattern: matching an e-mail against allowed_signers patterns
// never panics and stays linear whatever the input.
func FuzzSignerPattern(f *testing.F) {
	f.Add("ada@example.com", "*@example.com")
	f.Add(strings.Repeat("a", 4096)+"@x", "*a*a*a*a*a*a*a*a*b")
	f.Add("", "!*,*")
	f.Fuzz(func(t *testing.T, s, list string) {
		if len(s) > 1<<16 || len(list) > 1<<12 {
			return
		}
		_ = MatchPatternList(s, list)
	})
}
