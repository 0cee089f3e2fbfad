//go:build unix

package cmdutil

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// AppendFile refuses what is not a regular file instead of blocking on it.
func TestAppendFileRefusesFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	if err := AppendFile(fifo, []byte("x")); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("FIFO: %v", err)
	}
}
