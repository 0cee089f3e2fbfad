package cmdutil

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// AppendFile adds to what is there: GitHub's step summary holds every
// step's part.
func TestAppendFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "summary.md")
	for _, part := range []string{"one\n", "two\n"} {
		if err := AppendFile(path, []byte(part)); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := os.ReadFile(path); string(got) != "one\ntwo\n" {
		t.Errorf("file holds %q", got)
	}
}

// Buffered gathers small writes, and what was written before an error
// still arrives.
func TestBuffered(t *testing.T) {
	var w countWrites
	err := Buffered(&w, func(bw io.Writer) error {
		for range 1000 {
			io.WriteString(bw, "cell\t")
		}
		return errors.New("renderer failed")
	})
	if err == nil || err.Error() != "renderer failed" {
		t.Errorf("error %v, want the renderer's", err)
	}
	if w.n != 1 || w.b.Len() != 5000 {
		t.Errorf("%d writes of %d bytes, want 1 of 5000", w.n, w.b.Len())
	}
}

type countWrites struct {
	n int
	b bytes.Buffer
}

func (w *countWrites) Write(p []byte) (int, error) {
	w.n++
	return w.b.Write(p)
}
