package cmdutil

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// WriteFileAtomic writes through a temporary file in the same directory and
// renames it, so a reader never sees half a file. Its errors say what went
// wrong without the temporary file's name, which means nothing to the
// reader (and the file is gone).
func WriteFileAtomic(path string, write func(*os.File) error) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fileErr(err, "", path)
	}
	name := tmp.Name()
	defer os.Remove(name)
	if err := write(tmp); err != nil {
		tmp.Close()
		return fileErr(err, name, path)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fileErr(err, name, path)
	}
	if err := tmp.Close(); err != nil {
		return fileErr(err, name, path)
	}
	if err := os.Rename(name, path); err != nil {
		return fileErr(err, name, path)
	}
	return nil
}

// fileError keeps the cause (errors.Is(err, fs.ErrPermission) still
// holds) with a message free of the temporary file's name.
type fileError struct {
	msg string
	err error
}

func (e *fileError) Error() string { return e.msg }
func (e *fileError) Unwrap() error { return e.err }

func fileErr(err error, tmp, path string) error {
	var pe *os.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe) && error(pe) == err:
		return &fileError{msg: pe.Err.Error(), err: err}
	case errors.As(err, &le) && error(le) == err:
		return &fileError{msg: le.Err.Error(), err: err}
	case tmp != "":
		msg := strings.ReplaceAll(err.Error(), tmp, path)
		return &fileError{msg: msg, err: err}
	}
	return err
}

// AppendFile adds data at the end of path, creating it if needed, in one
// write: a file that other steps append to (GitHub's step summary) is
// never truncated nor interleaved. Only a regular file: opening a FIFO
// for writing would block until someone reads it.
func AppendFile(path string, data []byte) error {
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file", path)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Buffered runs write on a buffer in front of w and flushes it, even
// after an error (what was written still arrives). Writers that write a
// cell or a line at a time (tabwriter, renderers) would otherwise cost a
// system call each on a terminal, a pipe or a file: 10,000 items' worth
// made most of `readyctl plan` (issue 16).
func Buffered(w io.Writer, write func(io.Writer) error) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	err := write(bw)
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return err
}
