// Package evidencefile reads the result files other tools leave behind
// (JUnit reports, SARIF scans) for the kinds that judge them: globs
// expanded, only regular files, each bounded in size, and stale files
// refused. It never writes and never follows a file it was not named.
package evidencefile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"github.com/readyctl/readyctl/checks"
)

// DefaultMaxBytes bounds one result file.
const DefaultMaxBytes = 32 << 20

// File is one result file, open for reading within its size bound.
type File struct {
	Path    string
	ModTime time.Time
	io.Reader
	f *os.File
}

// Close closes the file.
func (f *File) Close() error { return f.f.Close() }

// Options bound what is read.
type Options struct {
	Dir      string        // relative patterns are taken from here ("" = current directory)
	MaxBytes int64         // per file; 0 = DefaultMaxBytes
	MaxAge   time.Duration // 0 = any age
	Now      time.Time     // for MaxAge; zero = time.Now()
}

// Expand lists the files the patterns match, sorted and without
// duplicates. A pattern that matches nothing is an error with reason
// no_data: evidence that is missing is no evidence.
func Expand(patterns []string, o Options) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, p := range patterns {
		if o.Dir != "" && !filepath.IsAbs(p) {
			p = filepath.Join(o.Dir, p)
		}
		matches, err := filepath.Glob(p)
		if err != nil {
			return nil, checks.WithReason(checks.ReasonConfig, fmt.Errorf("pattern %q: %w", p, err))
		}
		if len(matches) == 0 {
			return nil, checks.WithReason(checks.ReasonNoData, fmt.Errorf("no file matches %s", p))
		}
		for _, m := range matches {
			if !seen[m] {
				seen[m] = true
				out = append(out, m)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// Open opens one result file after checking that it is a regular file
// (not a FIFO, device or directory, which could block or never end),
// within the size bound and fresh enough.
func Open(path string, o Options) (*File, error) {
	max := o.MaxBytes
	if max <= 0 {
		max = DefaultMaxBytes
	}
	// O_NONBLOCK: opening a FIFO for reading would otherwise block until a
	// writer appears, past any deadline. It changes nothing for a regular
	// file, and anything else is refused below.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, checks.WithReason(checks.ReasonConfig, fmt.Errorf("%s is not a regular file (%s)", path, st.Mode().Type()))
	}
	if st.Size() > max {
		f.Close()
		return nil, checks.WithReason(checks.ReasonTooLarge, fmt.Errorf("%s is %d bytes, over the %d-byte bound (max_bytes)", path, st.Size(), max))
	}
	if o.MaxAge > 0 {
		now := o.Now
		if now.IsZero() {
			now = time.Now()
		}
		if age := now.Sub(st.ModTime()); age > o.MaxAge {
			f.Close()
			return nil, checks.WithReason(checks.ReasonStale, fmt.Errorf("%s was written %s ago, older than max_age %s: stale evidence is no evidence",
				path, age.Round(time.Second), o.MaxAge))
		}
	}
	// The size was checked, but a file can grow while it is read.
	return &File{Path: path, ModTime: st.ModTime(), Reader: &limited{r: f, left: max, path: path}, f: f}, nil
}

type limited struct {
	r    io.Reader
	left int64
	path string
}

var errTooLarge = errors.New("file grew past its size bound while being read")

func (l *limited) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// At the bound: only the end of the file is acceptable.
		var one [1]byte
		if n, err := l.r.Read(one[:]); n == 0 && err != nil {
			return 0, err
		}
		return 0, checks.WithReason(checks.ReasonTooLarge, fmt.Errorf("%s: %w", l.path, errTooLarge))
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}
