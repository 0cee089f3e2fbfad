package checklist

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/readyctl/readyctl/checks/httpcheck"
)

func writeChecklist(t *testing.T, content string) string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSignoffPolicyDecoded(t *testing.T) {
	path := writeChecklist(t, `version: 1
name: p
signoff:
  roles:
    - {id: qa-lead, title: QA Lead, signers: ["*@qa.example.com"]}
    - {id: devops-engineer}
  require: [qa-lead]
  max_age: 30d
  allowed_signers: signers
  distinct_signers: true
  forbid_self_approval: true
  allow_critical_waivers: true
sections:
  - id: s
    items:
      - id: rollback-tested
        manual: {roles: [qa-lead, devops-engineer]}
`)
	if err := os.WriteFile(filepath.Join(filepath.Dir(path), "signers"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := c.Signoff
	if len(p.Roles) != 2 || p.Roles[0].Title != "QA Lead" || p.Roles[1].Title != "devops-engineer" || p.Roles[0].Signers[0] != "*@qa.example.com" {
		t.Errorf("roles %+v", p.Roles)
	}
	if time.Duration(p.MaxAge) != 30*24*time.Hour || !p.DistinctSigners || !p.ForbidSelfApproval || !p.AllowCriticalWaivers {
		t.Errorf("policy %+v", p)
	}
	if p.AllowedSigners != filepath.Join(filepath.Dir(path), "signers") {
		t.Errorf("allowed_signers %q: want it resolved beside the checklist", p.AllowedSigners)
	}
}

// TestSignoffPolicyErrors: every mistake in the policy points at its
// FILE:LINE:COL.
func TestSignoffPolicyErrors(t *testing.T) {
	cases := []struct{ name, policy, item, want string }{
		{"unknown field", "  rols: []\n", "manual: {}", `:4:3: signoff: unknown field "rols" (did you mean "roles"?)`},
		{"bad role id", "  roles: [{id: QA}]\n", "manual: {}", `:4:16: signoff.roles: role id "QA" must match`},
		{"duplicate role", "  roles: [{id: qa}, {id: qa}]\n", "manual: {}", `:4:26: signoff.roles: duplicate role id "qa"`},
		{"require undeclared", "  roles: [{id: qa}]\n  require: [q]\n", "manual: {}", `:5:13: signoff.require: role "q" is not declared under signoff.roles (did you mean "qa"?)`},
		{"require without roles", "  require: [qa]\n", "manual: {}", `:4:13: signoff.require: role "qa" is not declared: add it under signoff.roles`},
		{"manual role undeclared", "  roles: [{id: qa-lead}]\n", "manual: {roles: [qa-led]}", `:9:26: item "x": manual.roles: role "qa-led" is not declared under signoff.roles (did you mean "qa-lead"?)`},
		{"bad max_age", "  max_age: 30 days\n", "manual: {}", `:4:12: signoff.max_age: bad duration "30 days"`},
		{"missing allowed_signers", "  allowed_signers: nope\n", "manual: {}", `:4:20: signoff.allowed_signers: cannot read`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := writeChecklist(t, "version: 1\nname: p\nsignoff:\n"+tc.policy+"sections:\n  - id: s\n    items:\n      - id: x\n        "+tc.item+"\n")
			_, err := Load(path, Options{})
			if err == nil || !strings.Contains(err.Error(), path+tc.want) {
				t.Fatalf("error %v\nwant it to contain %s%s", err, path, tc.want)
			}
		})
	}
}

// TestDefinitions loads what sign-off commands need without the secrets
// and addresses a run needs: ${env:...} unset, probe values unresolved.
func TestDefinitions(t *testing.T) {
	path := writeChecklist(t, `version: 1
name: ${env:NAME_NOT_SET}
sections:
  - id: s
    items:
      - id: api
        http: {url: "${env:API_URL_NOT_SET}/health"}
      - id: rollback-tested
        title: Rollback procedure tested
        manual: {roles: [qa-lead]}
`)
	noEnv := func(string) (string, bool) { return "", false }
	if _, err := Load(path, Options{LookupEnv: noEnv}); err == nil {
		t.Fatal("a full load must fail on unset ${env:...}")
	}
	c, err := Load(path, Options{LookupEnv: noEnv, Definitions: true})
	if err != nil {
		t.Fatal(err)
	}
	items := c.Items()
	if len(items) != 2 || items[0].Kind != "http" || items[0].Probe != nil || items[1].Manual == nil || items[1].Manual.Roles[0] != "qa-lead" || items[1].Raw == nil {
		t.Errorf("items %+v %+v", items[0], items[1])
	}
	// Structural errors are still errors.
	bad := writeChecklist(t, "version: 1\nsections:\n  - id: s\n    items:\n      - id: x\n        manual: {rolez: [a]}\n")
	if _, err := Load(bad, Options{Definitions: true}); err == nil || !strings.Contains(err.Error(), `unknown field "rolez"`) {
		t.Errorf("error %v", err)
	}
}

func TestParseAge(t *testing.T) {
	for in, want := range map[string]time.Duration{"30d": 720 * time.Hour, "2w": 336 * time.Hour, "90m": 90 * time.Minute, "0": 0} {
		if got, err := ParseAge(in); err != nil || got != want {
			t.Errorf("ParseAge(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"-1d", "d", "1.5d", "soon", "-5m"} {
		if _, err := ParseAge(in); err == nil {
			t.Errorf("ParseAge(%q) accepted", in)
		}
	}
}
