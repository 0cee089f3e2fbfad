package signoff

import (
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Caps on what is read from files that come from git: a record is a few
// hundred bytes, an allowed_signers file a few lines per person.
const (
	MaxRecordSize         = 64 << 10
	MaxAllowedSignersSize = 1 << 20
)

// readRegular reads a regular file of at most max bytes. It never follows
// a symbolic link and never opens a FIFO, device or socket: the sign-off
// directory comes from a repository, where `ln -s /dev/zero x.json` or a
// named pipe would otherwise grow the process without bound or block it
// forever.
func readRegular(path string, max int64) ([]byte, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is %s, not a regular file: not read", path, describeMode(fi.Mode()))
	}
	if fi.Size() > max {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d a readyctl file may have: not read", path, fi.Size(), max)
	}
	// O_NOFOLLOW and O_NONBLOCK close the window between Lstat and Open in
	// which the file could be swapped for a link or a pipe.
	f, err := os.OpenFile(path, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() || !os.SameFile(fi, st) {
		return nil, fmt.Errorf("%s changed while it was opened: not read", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s grew past the %d bytes a readyctl file may have: not read", path, max)
	}
	return data, nil
}

func describeMode(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m.IsDir():
		return "a directory"
	}
	return "a special file"
}
