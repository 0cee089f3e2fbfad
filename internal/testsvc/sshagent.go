package testsvc

import (
	"net"
	"os/exec"
	"path/filepath"
	"time"
)

// SSHAgent starts a real ssh-agent on a socket in a temporary directory
// and returns the socket's path (what SSH_AUTH_SOCK would hold). It is
// killed when the test ends.
func SSHAgent(t TB) string {
	t.Helper()
	bin := Binary(t, "ssh-agent")
	// A short path: unix socket paths are limited to ~100 bytes.
	dir, err := filepath.Abs(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "agent.sock")
	cmd := exec.Command(bin, "-D", "-a", sock)
	if err := cmd.Start(); err != nil {
		t.Fatalf("ssh-agent: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	Eventually(t, 10*time.Second, "ssh-agent socket", func() error {
		c, err := net.Dial("unix", sock)
		if err == nil {
			c.Close()
		}
		return err
	})
	return sock
}
