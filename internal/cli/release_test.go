package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeGit puts a git on PATH that runs script (sh).
func fakeGit(t *testing.T, script string) {
	t.Helper()
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "git"), []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// check asks git for the release while the checklist loads (issue 16):
// the answer still reaches the report, and a checklist that does not
// load does not wait for git, nor leaves it running.
func TestCheckAsksTheReleaseWhileLoading(t *testing.T) {
	const commit = "0123456789abcdef0123456789abcdef01234567"
	fakeGit(t, "echo "+commit)
	path := writeFile(t, "c.yaml", "version: 1\nsections:\n  - id: s\n    items:\n      - id: m\n        manual: {}\n")
	code, stdout, stderr := runCLI(t, nil, "check", "-f", path, "--format", "json")
	if code != ExitNotReady {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, `"release": "`+commit+`"`) {
		t.Errorf("the release git gave is not in the report:\n%s", stdout)
	}

	fakeGit(t, "exec sleep 30")
	for _, src := range []string{"version: 1\nsections: [", "version: 1\nsections:\n  - id: s\n    items:\n      - id: m\n        manual: {}\n"} {
		path := writeFile(t, "c.yaml", src)
		start := time.Now()
		args := []string{"check", "-f", path}
		if !strings.HasSuffix(src, "[") {
			args = append(args, "--tags", "nope") // a usage error after the load
		}
		code, _, stderr := runCLI(t, nil, args...)
		if code != ExitInvalid && code != ExitUsage {
			t.Errorf("exit %d, want a refused checklist or selection: %s", code, stderr)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("check waited %s for git after a refused checklist", d)
		}
	}
}
