package cmdutil

import (
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
