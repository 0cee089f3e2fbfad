package runner_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/report"
	"github.com/readyctl/readyctl/internal/runner"
	"github.com/readyctl/readyctl/internal/signoff"
)

// decisions is a Signoffs that returns what the test says.
type decisions struct {
	attest, waive map[string]signoff.Decision
	approvals     []signoff.Decision
}

func (d decisions) Attestation(id string) signoff.Decision {
	if x, ok := d.attest[id]; ok {
		return x
	}
	return signoff.Decision{Item: id, State: signoff.Missing}
}

func (d decisions) Waiver(id string) signoff.Decision {
	if x, ok := d.waive[id]; ok {
		return x
	}
	return signoff.Decision{Item: id, State: signoff.Missing}
}

func (d decisions) Approvals() []signoff.Decision { return d.approvals }

func judged(r *signoff.Record, state, reason string) *signoff.Judged {
	r.Created = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	return &signoff.Judged{Entry: &signoff.Entry{Record: r, Path: "r.json"}, State: state, Reason: reason}
}

const assemblyChecklist = `version: 1
name: t
vars: {token: "${env:TOKEN}"}
signoff:
  roles:
    - {id: qa-lead, title: QA Lead}
    - {id: cto, title: CTO}
  require: [qa-lead]
sections:
  - id: s
    items:
      - id: said-yes
        manual: {roles: [qa-lead]}
      - id: said-no
        manual: {roles: [qa-lead]}
      - id: stale
        manual: {roles: [qa-lead]}
      - id: nobody
        manual: {roles: [qa-lead]}
      - id: other-release
        manual: {roles: [qa-lead]}
      - id: waived
        severity: warning
        fake: {mode: fail, key: "${token}"}
      - id: bad-waiver
        severity: warning
        fake: {mode: fail}
`

// TestSignoffAssembly (issue 18 §1): the runner turns sign-off decisions
// into items and the sign-off table, and redacts what people wrote once,
// there.
func TestSignoffAssembly(t *testing.T) {
	const secret = "Hunter2Secret"
	cl, err := checklist.Parse("t.yaml", []byte(assemblyChecklist), checklist.Options{LookupEnv: func(k string) (string, bool) { return secret, k == "TOKEN" }})
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	ada := func(typ signoff.Type, item, role string) *signoff.Record {
		return &signoff.Record{Type: typ, Item: item, Role: role, Name: "Ada", Email: "ada@example.com", Note: "token " + secret, Expires: &exp}
	}
	no := ada(signoff.Attest, "said-no", "qa-lead")
	no.Decision = signoff.Rejected
	so := decisions{
		attest: map[string]signoff.Decision{
			"said-yes":      {State: signoff.Valid, Record: judged(ada(signoff.Attest, "said-yes", "qa-lead"), signoff.Valid, "")},
			"said-no":       {State: signoff.Valid, Rejected: true, Record: judged(no, signoff.Valid, "")},
			"stale":         {State: signoff.Stale, Record: judged(ada(signoff.Attest, "stale", "qa-lead"), signoff.Stale, "the definition changed")},
			"other-release": {State: signoff.OtherRelease, Record: judged(ada(signoff.Attest, "other-release", "qa-lead"), signoff.OtherRelease, "signed for release aaa")},
		},
		waive: map[string]signoff.Decision{
			"waived":     {State: signoff.Valid, Record: judged(ada(signoff.Waive, "waived", ""), signoff.Valid, "")},
			"bad-waiver": {State: signoff.Expired, Record: judged(ada(signoff.Waive, "bad-waiver", ""), signoff.Expired, "expired on 2026-02-01")},
		},
		approvals: []signoff.Decision{
			{Role: "qa-lead", Required: true, State: signoff.Missing},
			{Role: "cto", State: signoff.Valid, Record: judged(ada(signoff.Approve, "", "cto"), signoff.Valid, "")},
		},
	}
	rep := runner.Run(context.Background(), cl, runner.Options{Signoffs: so, Release: "abc"})
	items := byID(rep)
	want := map[string]struct {
		status report.Status
		reason string
		msg    string
	}{
		"said-yes":      {report.Pass, "", ""},
		"said-no":       {report.Fail, checks.ReasonSignoffRejected, "Ada <ada@example.com> (qa-lead) answered no: token ***"},
		"stale":         {report.Pending, checks.ReasonSignoffStale, "sign-off by Ada <ada@example.com> (qa-lead, 2026-03-01) is stale: the definition changed; readyctl signoff stale --role qa-lead"},
		"other-release": {report.Pending, checks.ReasonSignoffOtherRelease, "is other_release: signed for release aaa"},
		"nobody":        {report.Pending, checks.ReasonSignoffMissing, "waiting for a sign-off by qa-lead: readyctl signoff nobody --role qa-lead"},
		"waived":        {report.Waived, "", "waived until 2026-04-01 by Ada <ada@example.com>: token *** (was: value 0 is wrong)"},
		"bad-waiver":    {report.Fail, "", "value 0 is wrong (waiver by Ada <ada@example.com> does not apply: expired: expired on 2026-02-01)"},
	}
	for id, w := range want {
		it := items[id]
		if it.Status != w.status || (w.reason != "" && it.Reason != w.reason) || !strings.Contains(it.Message, w.msg) {
			t.Errorf("%s: %s (%s) %q, want %s (%s) %q", id, it.Status, it.Reason, it.Message, w.status, w.reason, w.msg)
		}
	}
	if s := items["said-yes"].Signoff; s == nil || s.Name != "Ada" || s.RoleTitle != "QA Lead" || s.Note != "token ***" {
		t.Errorf("said-yes row: %+v", s)
	}
	if items["nobody"].Signoff != nil {
		t.Errorf("no record, yet a row: %+v", items["nobody"].Signoff)
	}
	// The table: required approvals first (flagged), others, then items'.
	tab := rep.Signoffs
	if len(tab) < 2 || tab[0].Role != "qa-lead" || !tab[0].Required || tab[0].State != signoff.Missing ||
		!strings.Contains(tab[0].Reason, "readyctl approve --role qa-lead") || tab[1].Role != "cto" || tab[1].Required || tab[1].RoleTitle != "CTO" {
		t.Errorf("table head: %+v", tab[:min(2, len(tab))])
	}
	for _, row := range tab {
		if strings.Contains(row.Note+row.Reason+row.Name, secret) {
			t.Errorf("secret in row %+v", row)
		}
	}
	if rep.Verdict != report.NotReady || rep.Release != "abc" {
		t.Errorf("verdict %s release %q", rep.Verdict, rep.Release)
	}
	var approvalBlockers int
	for _, b := range rep.Blocking() {
		if b.Role == "qa-lead" && b.Reason == checks.ReasonSignoffMissing {
			approvalBlockers++
		}
	}
	if approvalBlockers != 1 {
		t.Errorf("blocking %+v: want the missing qa-lead approval", rep.Blocking())
	}
}

// TestNoSignoffs: without a book, manual items wait and nothing is
// required (demo).
func TestNoSignoffs(t *testing.T) {
	cl := load(t, "      - id: m\n        manual: {roles: [qa-lead]}\n")
	rep := runner.Run(context.Background(), cl, runner.Options{})
	if it := rep.Items[0]; it.Status != report.Pending || it.Message != "waiting for a sign-off by qa-lead" {
		t.Errorf("manual without sign-offs: %+v", it)
	}
	if rep.Signoffs == nil || len(rep.Signoffs) != 0 {
		t.Errorf("table %+v", rep.Signoffs)
	}
}
