package testsvc

import (
	"os/exec"
	"syscall"
)

// promDaemonAttrs makes the kernel kill the server if the test binary dies
// without running its cleanups (e.g. a timeout panic), so no server outlives
// its test.
func promDaemonAttrs(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
