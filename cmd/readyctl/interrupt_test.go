package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/readyctl/readyctl/internal/probetest"
)

// TestInterrupt sends SIGINT to a real readyctl process in the middle of a
// run: it must print the partial report (what finished, and what was cut
// short) and exit 130.
func TestInterrupt(t *testing.T) {
	addr := probetest.SilentServer(t)
	dir := t.TempDir()
	cl := filepath.Join(dir, "c.yaml")
	os.WriteFile(cl, []byte(`version: 1
name: interrupt
sections:
  - id: s
    items:
      - id: open-port
        tcp: {address: "`+addr+`"}
      - id: stuck
        timeout: 1m
        http: {url: "http://`+addr+`/"}
`), 0o644)

	cmd := exec.Command(readyctlBinary(t), "check", "-f", cl, "--format", "json")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(700 * time.Millisecond)
	start := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("exit: %v, want code 130; stderr: %s", err, stderr.String())
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %s to stop after SIGINT", d)
	}
	out := stdout.String()
	for _, want := range []string{`"interrupted": true`, `"verdict": "not_ready"`, `"id": "open-port"`, `"status": "pass"`, `"reason": "interrupted"`} {
		if !strings.Contains(out, want) {
			t.Errorf("partial report lacks %s:\n%s", want, out)
		}
	}
}

// readyctlBinary returns a path that runs this test binary as readyctl
// (testscript.Main dispatches on the program name).
func readyctlBinary(t testing.TB) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "readyctl")
	if err := os.Symlink(self, link); err != nil {
		t.Fatal(err)
	}
	return link
}
