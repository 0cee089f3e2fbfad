// Package testsvc starts real servers (PostgreSQL, Redis, Prometheus, ...)
// from their binaries, with a temporary data directory and a free loopback
// port, torn down when the test ends. Tests use it, and so does the
// reference platform of `readyctl demo` (internal/demo/platform), through
// TB: a *testing.T, or the demo's own implementation of it.
//
// Without the binary a test is skipped with a message naming it; with
// READYCTL_REQUIRE_SERVICES=1 (set by .ci/run) a missing binary fails the
// test instead, so CI can never pass by skipping.
package testsvc

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// TB is the part of testing.TB the starters use. *testing.T and
// *testing.B satisfy it; the demo implements it without the testing
// package, so the readyctl binary does not link it.
type TB interface {
	Helper()
	Cleanup(func())
	Errorf(format string, args ...any)
	Failed() bool
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
	Skipf(format string, args ...any)
	TempDir() string
}

// Required reports whether missing service binaries must fail tests.
func Required() bool { return os.Getenv("READYCTL_REQUIRE_SERVICES") == "1" }

// Binary returns the path of the first of names found on PATH or in the
// extra directories (globs allowed), or skips/fails the test naming it.
func Binary(t TB, name string, extraDirs ...string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, pattern := range extraDirs {
		matches, _ := filepath.Glob(filepath.Join(pattern, name))
		for i := len(matches) - 1; i >= 0; i-- { // newest version sorts last
			if fi, err := os.Stat(matches[i]); err == nil && fi.Mode()&0o111 != 0 {
				return matches[i]
			}
		}
	}
	if Required() {
		t.Fatalf("%s not found on PATH and READYCTL_REQUIRE_SERVICES=1", name)
	}
	t.Skipf("%s not found on PATH: install it to run this test", name)
	return ""
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Eventually polls cond every 50ms until it returns nil or timeout passes,
// and fails the test with the last error. Use it instead of fixed sleeps.
func Eventually(t TB, timeout time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var err error
	for {
		if err = cond(); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not ready after %s: %v", what, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
