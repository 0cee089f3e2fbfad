package signoff

import (
	"time"

	"github.com/readyctl/readyctl/internal/checklist"
)

// Options open a Book: where the records are, and the run they are
// judged for.
type Options struct {
	Checklist *checklist.Checklist
	Dir       string
	Now       time.Time
	Actors    []Actor
	// Release and Phase are the run's (see Input).
	Release string
	Phase   string
	// AllEnvironments judges every record, whatever its environment
	// (signoffs list); otherwise only records for the checklist's
	// environment, or for none, count.
	AllEnvironments bool
}

// Open reads the records in o.Dir and the policy's allowed_signers file,
// then judges every record (Judge). Reading is the only I/O: the judging
// itself is pure.
func Open(o Options) (*Book, error) {
	in := Input{
		Checklist: o.Checklist, Now: o.Now, Actors: o.Actors,
		Release: o.Release, Phase: o.Phase, AllEnvironments: o.AllEnvironments,
	}
	if in.Now.IsZero() {
		in.Now = time.Now()
	}
	if p := o.Checklist.Signoff.AllowedSigners; p != "" {
		in.Allowed, in.AllowedErr = LoadAllowedSigners(p)
	}
	entries, err := ReadDir(o.Dir)
	if err != nil {
		return nil, err
	}
	return Judge(in, entries)
}
