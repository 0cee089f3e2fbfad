package signoff

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Schema identifies the record format.
const Schema = "readyctl.signoff/v1"

// Namespace is the sshsig namespace of readyctl signatures: a signature
// made for anything else (git commits, files) never verifies as a
// sign-off, and the reverse.
const Namespace = "readyctl"

// Type of a record.
type Type string

const (
	Attest  Type = "attest"  // a person confirms a manual item
	Approve Type = "approve" // a role approves a run, from its JSON report
	Waive   Type = "waive"   // a failing item is accepted until an expiry
)

// Decisions of an attestation.
const (
	Confirmed = "confirmed"
	Rejected  = "rejected"
)

// Record is what a person signed. Its JSON bytes, exactly as written in
// the file, are what the signature covers.
type Record struct {
	Schema   string `json:"schema"`
	Type     Type   `json:"type"`
	Item     string `json:"item,omitempty"`     // attest, waive
	Role     string `json:"role,omitempty"`     // attest, approve; optional for waive
	Decision string `json:"decision,omitempty"` // attest: confirmed or rejected
	Name     string `json:"name"`
	Email    string `json:"email,omitempty"`
	// Key is the SHA256 fingerprint of the signing key, when signed.
	Key     string     `json:"key,omitempty"`
	Created time.Time  `json:"created"`
	Expires *time.Time `json:"expires,omitempty"`
	// Note is the person's note; for a waiver, its justification.
	Note        string `json:"note,omitempty"`
	Environment string `json:"environment,omitempty"`
	Release     string `json:"release,omitempty"`
	// Phase is the --phase of the run an approval approved: it counts
	// only for runs of that phase ("" = the whole checklist, any run).
	Phase string `json:"phase,omitempty"`
	// Checklist is the checklist's name, for people reading the file.
	Checklist       string `json:"checklist,omitempty"`
	ChecklistSHA256 string `json:"checklist_sha256"`
	// ItemSHA256 is the digest of the item's definition (see ItemDigest).
	ItemSHA256 string `json:"item_sha256,omitempty"`
	// For approvals: the report approved, and its verdict at the time.
	ReportSHA256  string `json:"report_sha256,omitempty"`
	ReportVerdict string `json:"report_verdict,omitempty"`
	// Forced is set when an approval overrode a not-ready report.
	Forced bool `json:"forced,omitempty"`
}

// Subject is what the record is about, for messages: the item, or the
// role for an approval.
func (r *Record) Subject() string {
	if r.Item != "" {
		return r.Item
	}
	return r.Role
}

// envelope is the file: the record's bytes, their digest (to catch
// accidental edits of unsigned records) and the armored signature.
type envelope struct {
	Record    json.RawMessage `json:"record"`
	SHA256    string          `json:"sha256"`
	Signature string          `json:"signature,omitempty"`
}

// encodeRecord returns the record's canonical bytes: indented to sit
// inside the envelope, so the file stays readable.
func encodeRecord(r *Record) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("  ", "  ")
	if err := enc.Encode(r); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// encodeFile lays out the envelope by hand so that the record's bytes
// appear in the file exactly as they were signed.
func encodeFile(record []byte, signature string) []byte {
	sum := sha256.Sum256(record)
	var b bytes.Buffer
	b.WriteString("{\n  \"record\": ")
	b.Write(record)
	fmt.Fprintf(&b, ",\n  \"sha256\": %q", hex.EncodeToString(sum[:]))
	if signature != "" {
		sig, _ := json.Marshal(signature)
		b.WriteString(",\n  \"signature\": ")
		b.Write(sig)
	}
	b.WriteString("\n}\n")
	return b.Bytes()
}

// decodeFile splits a file into the record's exact bytes, the record and
// the envelope. The record is decoded strictly: an unknown field could
// change its meaning for a newer reader.
func decodeFile(data []byte) (*envelope, *Record, error) {
	var env envelope
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&env); err != nil {
		return nil, nil, fmt.Errorf("not a readyctl sign-off file: %w", err)
	}
	if len(env.Record) == 0 || bytes.Equal(env.Record, []byte("null")) {
		return nil, nil, errors.New("not a readyctl sign-off file: no record")
	}
	var r Record
	dec = json.NewDecoder(bytes.NewReader(env.Record))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return &env, nil, fmt.Errorf("record does not decode: %w", err)
	}
	return &env, &r, nil
}

// checkShape reports what is structurally wrong with a record, whatever
// the checklist says.
func (r *Record) checkShape() error {
	if r.Schema != Schema {
		return fmt.Errorf("schema %q, this readyctl reads %q", r.Schema, Schema)
	}
	switch r.Type {
	case Attest:
		if r.Item == "" || r.Role == "" {
			return errors.New("an attestation names an item and a role")
		}
		if r.Decision != Confirmed && r.Decision != Rejected {
			return fmt.Errorf("decision %q: expected %s or %s", r.Decision, Confirmed, Rejected)
		}
	case Approve:
		if r.Role == "" || r.ReportSHA256 == "" {
			return errors.New("an approval names a role and the report it approves")
		}
	case Waive:
		if r.Item == "" {
			return errors.New("a waiver names an item")
		}
		if r.Expires == nil {
			return errors.New("a waiver must expire")
		}
		if r.Note == "" {
			return errors.New("a waiver needs a justification")
		}
	default:
		return fmt.Errorf("unknown type %q", r.Type)
	}
	if r.Name == "" {
		return errors.New("no signer name")
	}
	if r.Created.IsZero() {
		return errors.New("no creation time")
	}
	if r.ChecklistSHA256 == "" {
		return errors.New("no checklist digest")
	}
	return nil
}
