// Package history keeps the JSON report of each run in a directory, one
// plain file per run, and reads them back. Writers never overwrite one
// another: two CI jobs saving at the same instant get two files. Readers
// treat every file as hostile input (bounded size, strict JSON) and skip
// what they cannot read rather than fail the listing. It never deletes.
package history

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/report"
)

// MaxFile bounds one report file read back; a run's report is far smaller.
const MaxFile = 32 << 20

// maxFile is MaxFile; tests lower it rather than write 32 MB.
var maxFile int64 = MaxFile

// MaxEntries bounds a listing: the newest are kept.
const MaxEntries = 10000

// Save writes rep as JSON into dir (created if needed) under a name that
// sorts by time and cannot collide: start time, then random bytes. The
// file appears whole or not at all (written aside, fsynced, then linked
// into place, which refuses to replace an existing file).
func Save(dir string, rep *report.Report) (string, error) {
	render, ok := report.Lookup("json")
	if !ok {
		return "", errors.New("history: the json format is not registered")
	}
	var buf bytes.Buffer
	if err := render(&buf, rep, report.Options{}); err != nil {
		return "", fmt.Errorf("history: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("history directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return "", fmt.Errorf("history directory: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return "", fmt.Errorf("history: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return "", fmt.Errorf("history: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", fmt.Errorf("history: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("history: %w", err)
	}
	for range 5 {
		path := filepath.Join(dir, fileName(rep))
		err := os.Link(tmp.Name(), path)
		switch {
		case err == nil:
			return path, nil
		case errors.Is(err, fs.ErrExist):
			continue // the same instant and the same random suffix: draw again
		}
		// A filesystem without hard links: O_EXCL still refuses to replace.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("history: %w", err)
		}
		_, werr := f.Write(buf.Bytes())
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			os.Remove(path)
			return "", fmt.Errorf("history: %w", werr)
		}
		return path, nil
	}
	return "", errors.New("history: could not find a free file name")
}

// fileName is 20261128T181500.123Z-ENV-RANDOM.json; the environment is
// reduced to a safe subset (it comes from the checklist).
func fileName(rep *report.Report) string {
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	env := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return -1
	}, strings.ToLower(rep.Environment))
	if len(env) > 32 {
		env = env[:32]
	}
	if env == "" {
		env = "run"
	}
	t := rep.StartedAt
	if t.IsZero() {
		t = time.Now()
	}
	return t.UTC().Format("20060102T150405.000Z") + "-" + env + "-" + hex.EncodeToString(rnd[:]) + ".json"
}

// Read reads one report file: a regular file of at most MaxFile bytes,
// strict JSON (unknown fields are an error: it is a readyctl report or
// not one), of this schema.
func Read(path string) (*report.Report, error) {
	data, err := checks.ReadFile(path, maxFile)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var rep report.Report
	if err := dec.Decode(&rep); err != nil {
		return nil, fmt.Errorf("%s: not a readyctl JSON report: %w", path, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%s: not a readyctl JSON report: more than one JSON value", path)
	}
	if rep.Schema != report.Schema {
		return nil, fmt.Errorf("%s: schema %q, expected %q", path, rep.Schema, report.Schema)
	}
	return &rep, nil
}

// Entry is one run in the history.
type Entry struct {
	Path        string    `json:"path"`
	StartedAt   time.Time `json:"started_at"`
	Environment string    `json:"environment"`
	Release     string    `json:"release,omitempty"`
	Verdict     string    `json:"verdict"`
	DurationMS  int64     `json:"duration_ms"`
	// Deployment facts, for runs of readyctl deploy.
	Deploy     bool   `json:"deploy"`
	Outcome    string `json:"outcome,omitempty"`
	DowntimeMS int64  `json:"downtime_ms"`
}

// List reads every *.json file in dir, oldest first, at most MaxEntries
// (the newest). A file that cannot be read is passed to skip and left out.
func List(dir string, skip func(path string, err error)) ([]Entry, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("history directory: %w", err)
	}
	var names []string
	for _, de := range des {
		if strings.HasSuffix(de.Name(), ".json") && !strings.HasPrefix(de.Name(), ".") {
			names = append(names, de.Name())
		}
	}
	sort.Strings(names)
	if len(names) > MaxEntries {
		names = names[len(names)-MaxEntries:]
	}
	out := make([]Entry, 0, len(names))
	for _, n := range names {
		path := filepath.Join(dir, n)
		rep, err := Read(path)
		if err != nil {
			if skip != nil {
				skip(path, err)
			}
			continue
		}
		e := Entry{Path: path, StartedAt: rep.StartedAt, Environment: rep.Environment, Release: rep.Release, Verdict: rep.Verdict, DurationMS: rep.DurationMS}
		if d := rep.Deployment; d != nil {
			e.Deploy, e.Outcome, e.DowntimeMS, e.DurationMS = true, d.Outcome, d.DowntimeMS, d.DurationMS
		}
		out = append(out, e)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].StartedAt.Before(out[j].StartedAt) })
	return out, nil
}
