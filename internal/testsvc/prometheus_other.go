//go:build !linux

package testsvc

import "os/exec"

func promDaemonAttrs(cmd *exec.Cmd) {}
