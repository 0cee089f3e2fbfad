package signoffcmd

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/readyctl/readyctl/internal/cmdutil"
)

const manualChecklist = `version: 1
name: m
signoff:
  roles: [{id: qa-lead, title: QA Lead}, {id: devops-engineer}]
  max_age: 30d
sections:
  - id: s
    items:
      - id: rollback-tested
        title: Rollback procedure tested
        manual: {roles: [qa-lead]}
`

// TestSignoffInteractiveStreams drives the interactive flow through the
// test streams (the pty itself is exercised by signoff_interactive.txtar).
func TestSignoffInteractiveStreams(t *testing.T) {
	t.Setenv("GIT_CONFIG_GLOBAL", "/dev/null") // no user.name from this machine
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	path := writeFile(t, "checklist.yaml", manualChecklist)
	io, out, errOut := cmdutil.TestIOStreams(true)
	io.In = strings.NewReader("Ada\n\nmaybe\ny\nlooks good\n")
	cfg := filepath.Join(t.TempDir(), "readyctl", "config.yaml")
	o := &SignoffOptions{SignerOptions: &SignerOptions{IO: io, LookupEnv: func(string) (string, bool) { return "", false }, ChecklistOptions: cmdutil.ChecklistOptions{File: path}, Now: time.Now}, ConfigPath: cfg}
	if err := signoffRun(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "attested rollback-tested as qa-lead") || strings.Count(errOut.String(), "Done? ") != 2 {
		t.Errorf("stdout %q\nstderr %q", out, errOut)
	}
	data, err := os.ReadFile(cfg)
	if err != nil || !bytes.Contains(data, []byte("name: Ada")) || bytes.Contains(data, []byte("email")) {
		t.Errorf("config %q %v", data, err)
	}
	// Nothing left to ask.
	io, _, errOut = cmdutil.TestIOStreams(true)
	o.IO, o.Name = io, "Ada"
	if err := signoffRun(context.Background(), o); err != nil || !strings.Contains(errOut.String(), "Nothing to sign") {
		t.Errorf("%v %q", err, errOut)
	}
}

// TestForceOnlyFromTheCommandLine: READYCTL_FORCE in the environment must
// not approve a failing run on someone's behalf.
func TestForceOnlyFromTheCommandLine(t *testing.T) {
	var got *ApproveOptions
	io, _, _ := cmdutil.TestIOStreams(false)
	t.Setenv("READYCTL_FORCE", "true")
	t.Setenv("READYCTL_NOTE", "sneaky")
	f := &cmdutil.Factory{IO: io, Settings: cmdutil.NewSettings(cmdutil.ConfigPath(), os.LookupEnv), LookupEnv: os.LookupEnv}
	cmd := NewCmdApprove(f, func(_ context.Context, o *ApproveOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--role", "qa-lead", "--report", "r.json"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Force {
		t.Error("READYCTL_FORCE=true forced an approval")
	}
	cmd = NewCmdApprove(f, func(_ context.Context, o *ApproveOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--role", "qa-lead", "--report", "r.json", "--force"})
	if err := cmd.Execute(); err != nil || !got.Force {
		t.Errorf("--force: %v %+v", err, got)
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
