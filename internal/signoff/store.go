package signoff

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"golang.org/x/crypto/ssh"
)

// DefaultDir is where sign-offs live unless --signoffs says otherwise:
// beside the checklist, so they travel with it in the repository.
func DefaultDir(checklistPath string) string {
	return filepath.Join(filepath.Dir(checklistPath), ".readyctl", "signoffs")
}

// Entry is one file of a sign-off directory, as read.
type Entry struct {
	Path   string
	Record *Record // nil when the file is not a readable record
	// Bytes are the record's bytes exactly as in the file: what a
	// signature covers.
	Bytes     []byte
	SHA256    string // the envelope's digest of Bytes
	Signature string // armored sshsig, "" when unsigned
	Err       error  // why the file is not a readable record
}

var unsafeName = regexp.MustCompile(`[^a-z0-9-]+`)

// fileName is <created UTC>-<type>-<item or role>-<random>.json: sorted
// by time in a listing, readable, and unique without any coordination
// between writers (parallel processes, branches merged later).
func fileName(r *Record) (string, error) {
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return "", err
	}
	subject := unsafeName.ReplaceAllString(strings.ToLower(r.Subject()), "-")
	if len(subject) > 60 {
		subject = subject[:60]
	}
	return fmt.Sprintf("%s-%s-%s-%s.json", r.Created.UTC().Format("20060102T150405Z"), r.Type, subject, hex.EncodeToString(rnd[:])), nil
}

// Seal signs the record with signer (nil: unsigned) and returns it as the
// entry it will be once written: the exact bytes, their digest and the
// signature. Nothing is written, so the record can be judged first
// (Book.Try) and refused without ever touching the directory.
func Seal(r *Record, signer ssh.Signer) (*Entry, error) {
	r.Schema = Schema
	if signer != nil {
		r.Key = ssh.FingerprintSHA256(signer.PublicKey())
	}
	if err := r.checkShape(); err != nil {
		return nil, err
	}
	body, err := encodeRecord(r)
	if err != nil {
		return nil, err
	}
	var sig string
	if signer != nil {
		armored, err := SignSSH(signer, Namespace, body)
		if err != nil {
			return nil, fmt.Errorf("signing: %w", err)
		}
		sig = string(armored)
	}
	sum := sha256.Sum256(body)
	return &Entry{Record: r, Bytes: body, SHA256: hex.EncodeToString(sum[:]), Signature: sig}, nil
}

// Write seals the record and writes it to dir (see WriteEntry).
func Write(dir string, r *Record, signer ssh.Signer) (string, error) {
	e, err := Seal(r, signer)
	if err != nil {
		return "", err
	}
	return WriteEntry(dir, e)
}

// WriteEntry writes a sealed entry to dir atomically: through a temporary
// file renamed into place, so a reader sees the whole record or nothing.
// It sets and returns the entry's path.
func WriteEntry(dir string, e *Entry) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("sign-off directory: %w", err)
	}
	name, err := fileName(e.Record)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, name)
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return "", fmt.Errorf("sign-off directory: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(encodeFile(e.Bytes, e.Signature)); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	// Link refuses to replace an existing file, so even a duplicate
	// random suffix could not overwrite someone's record.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("%s exists already: %w", path, err)
		}
		if err := os.Rename(tmp.Name(), path); err != nil { // filesystems without hard links
			return "", err
		}
	}
	e.Path = path
	return path, nil
}

// ReadDir reads every record in dir, in name (creation) order. A missing
// directory holds no records. Files that are not records come back as
// entries with Err set: they are reported, never silently skipped.
func ReadDir(dir string) ([]*Entry, error) {
	des, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sign-off directory: %w", err)
	}
	var out []*Entry
	for _, de := range des {
		name := de.Name()
		// Only real directories are skipped: a link, FIFO or device named
		// *.json is listed as an invalid record (ReadFile refuses to read
		// it), never silently ignored.
		if de.Type().IsDir() || strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".json") {
			continue
		}
		out = append(out, ReadFile(filepath.Join(dir, name)))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// ReadFile reads one record file: a regular file (never through a link)
// of at most MaxRecordSize bytes.
func ReadFile(path string) *Entry {
	e := &Entry{Path: path}
	data, err := readRegular(path, MaxRecordSize)
	if err != nil {
		e.Err = err
		return e
	}
	env, r, err := decodeFile(data)
	if env != nil {
		e.Bytes, e.SHA256, e.Signature = env.Record, env.SHA256, env.Signature
	}
	e.Record, e.Err = r, err
	return e
}
