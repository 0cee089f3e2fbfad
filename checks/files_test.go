package checks

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A file a checklist names is read as hostile input: a link to a device,
// a FIFO or a directory is refused at once, an oversized file by its
// bound; a link to a regular file (the usual /etc/ssl/certs layout) is
// fine.
func TestReadFileHostile(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "ca.pem")
	os.WriteFile(real, []byte("pem"), 0o644)
	link := filepath.Join(dir, "link.pem")
	os.Symlink(real, link)
	zero := filepath.Join(dir, "zero.pem")
	os.Symlink("/dev/zero", zero)
	fifo := filepath.Join(dir, "fifo.pem")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.pem")
	f, _ := os.Create(big)
	f.Truncate(100 << 20) // sparse
	f.Close()

	for path, want := range map[string]string{
		real: "", link: "",
		zero: "not a regular file",
		fifo: "not a regular file",
		dir:  "not a regular file",
		big:  "larger than 1024 bytes",
	} {
		done := make(chan struct{})
		var data []byte
		var err error
		go func() { data, err = ReadFile(path, 1024); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: blocked", path)
		}
		switch {
		case want == "" && (err != nil || string(data) != "pem"):
			t.Errorf("%s: %q, %v", path, data, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: got %v, want %q", path, err, want)
		}
	}
}
