package signoffcmd_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/readyctl/readyctl/checks/all"
	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/cli"
	"github.com/readyctl/readyctl/internal/cli/signoffcmd"
	"github.com/readyctl/readyctl/internal/cmdutil"
	"github.com/readyctl/readyctl/internal/signoff"
)

// These tests drive the sign-off commands through the whole command line,
// as a person would.

const manualChecklist = signoffcmd.ManualChecklist

func runCLI(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	for k, v := range env {
		t.Setenv(k, v)
	}
	io, out, errOut := cmdutil.TestIOStreams(false)
	code = cli.Main(context.Background(), args, io)
	return code, out.String(), errOut.String()
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// backdated writes a record as readyctl would have written it at created.
func backdated(t *testing.T, path string, created time.Time, expires *time.Time) {
	t.Helper()
	cl, err := checklist.Load(path, checklist.Options{Definitions: true})
	if err != nil {
		t.Fatal(err)
	}
	digest, err := signoff.ItemDigest(cl.Items()[0])
	if err != nil {
		t.Fatal(err)
	}
	r := &signoff.Record{Type: signoff.Attest, Item: "rollback-tested", Role: "qa-lead", Decision: signoff.Confirmed,
		Name: "Ada", Email: "ada@example.com", Created: created, Expires: expires, ChecklistSHA256: cl.SHA256, ItemSHA256: digest}
	if _, err := signoff.Write(signoff.DefaultDir(path), r, nil); err != nil {
		t.Fatal(err)
	}
}

// TestExpiredSignoffs: an attestation past its --expires, or older than
// max_age, leaves the item pending with signoff_expired.
func TestExpiredSignoffs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		created time.Duration // ago
		expires time.Duration // ago; 0 = none
		want    string
	}{
		{"past its expiry", 48 * time.Hour, time.Hour, "is expired: expired on "},
		{"older than max_age", 31 * 24 * time.Hour, 0, "is expired: older than signoff.max_age 30d"},
		{"fresh", time.Hour, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, "checklist.yaml", manualChecklist)
			var exp *time.Time
			if tc.expires > 0 {
				e := time.Now().Add(-tc.expires)
				exp = &e
			}
			backdated(t, path, time.Now().Add(-tc.created), exp)
			code, stdout, stderr := runCLI(t, nil, "check", "-f", path, "--format", "json")
			var rep struct {
				Verdict string
				Items   []struct{ Status, Reason, Message string }
			}
			if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
				t.Fatalf("%v: %s %s", err, stdout, stderr)
			}
			it := rep.Items[0]
			if tc.want == "" {
				if code != cli.ExitReady || it.Status != "pass" {
					t.Errorf("exit %d, item %+v", code, it)
				}
				return
			}
			if code != cli.ExitNotReady || it.Status != "pending" || it.Reason != "signoff_expired" || !strings.Contains(it.Message, tc.want) {
				t.Errorf("exit %d, item %+v; want pending signoff_expired %q", code, it, tc.want)
			}
		})
	}
}

func TestSignoffUsage(t *testing.T) {
	path := writeFile(t, "checklist.yaml", manualChecklist+`      - id: legacy
        severity: warning
        http: {url: "http://127.0.0.1:1/"}
`)
	report := writeFile(t, "report.json", `{"schema": "readyctl.report/v1", "verdict": "ready", "checklist": {"sha256": "x"}}`)
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"signoff"}, cli.ExitUsage, "no ITEM given, and stdin is not a terminal to ask on: name the item and who signs, e.g. readyctl signoff ITEM --role ROLE --name NAME --email EMAIL"},
		{[]string{"signoff", "rollback-test", "-f", path, "--name", "A"}, cli.ExitUsage, `no item "rollback-test" in ` + path + ` (did you mean "rollback-tested"?)`},
		{[]string{"signoff", "rollback-tested", "-f", path}, cli.ExitUsage, "who is signing? pass --name and --email, or set name: and email: in "},
		{[]string{"signoff", "rollback-tested", "-f", path, "--name", "A", "--role", "devops-engineer"}, cli.ExitUsage, "--role devops-engineer may not attest rollback-tested (permitted: qa-lead)"},
		{[]string{"signoff", "rollback-tested", "-f", path, "--name", "A", "--expires", "yesterday"}, cli.ExitUsage, `--expires "yesterday": expected a date`},
		{[]string{"signoff", "rollback-tested", "-f", path, "--name", "A", "--expires", "2001-01-01"}, cli.ExitUsage, "--expires 2001-01-01 is not in the future"},
		{[]string{"signoff", "rollback-tested", "-f", path, "--name", "A", "--key", "/nonexistent"}, cli.ExitUsage, "--key: open /nonexistent"},
		{[]string{"waive", "legacy", "-f", path, "--expires", "7d"}, cli.ExitUsage, "--reason: say why"},
		{[]string{"waive", "legacy", "-f", path, "--reason", "x"}, cli.ExitUsage, "--expires: a waiver must end"},
		{[]string{"waive", "rollback-tested", "-f", path, "--reason", "x", "--expires", "7d", "--name", "A"}, cli.ExitUsage, "item rollback-tested is manual"},
		{[]string{"approve", "-f", path, "--report", report}, cli.ExitUsage, "--role: say which role approves"},
		{[]string{"approve", "-f", path, "--role", "qa-lead"}, cli.ExitUsage, "--report: name the JSON report"},
		{[]string{"approve", "-f", path, "--role", "qa-lead", "--report", path}, cli.ExitUsage, "is not a readyctl JSON report"},
		{[]string{"approve", "-f", path, "--role", "qa-lead", "--report", report, "--name", "A"}, cli.ExitNotReady, "the report was made from another version of"},
		{[]string{"signoffs", "list", "-f", path, "--format", "xml"}, cli.ExitUsage, `--format "xml": expected text or json`},
	}
	for _, tc := range cases {
		code, _, stderr := runCLI(t, map[string]string{"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
	if files, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".readyctl", "signoffs", "*")); len(files) != 0 {
		t.Errorf("refused commands left records: %v", files)
	}
}

// TestSeedRoles: the example policy with the seed's 13 roles loads.
func TestSeedRoles(t *testing.T) {
	cl, err := checklist.Load("../../../testdata/signoff/checklist.yaml", checklist.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Lead Developer", "Backend Developer", "Frontend Developer", "DevOps Engineer", "QA Lead", "QA Engineer",
		"Security Analyst", "Operations Lead", "System Administrator", "Network Engineer", "Product Manager", "Project Manager", "Technical Director"}
	if len(cl.Signoff.Roles) != len(want) {
		t.Fatalf("%d roles, want %d", len(cl.Signoff.Roles), len(want))
	}
	for i, r := range cl.Signoff.Roles {
		if r.Title != want[i] {
			t.Errorf("role %d: %q, want %q", i, r.Title, want[i])
		}
	}
	code, stdout, stderr := runCLI(t, nil, "check", "-f", "../../../testdata/signoff/checklist.yaml", "--signoffs", t.TempDir())
	if code != cli.ExitNotReady || !strings.Contains(stdout, "approve  Technical Director") || !strings.Contains(stdout, "missing") {
		t.Errorf("exit %d\n%s\n%s", code, stdout, stderr)
	}
}
