package runner

import (
	"fmt"
	"strings"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/redact"
	"github.com/readyctl/readyctl/internal/report"
	"github.com/readyctl/readyctl/internal/signoff"
)

// Signoffs decides what people have signed; internal/signoff implements
// it (signoff.Book). It returns decisions only: turning them into report
// items and the sign-off table is the runner's assembly step, below, and
// the one place their text is redacted.
type Signoffs interface {
	// Attestation decides a manual item.
	Attestation(item string) signoff.Decision
	// Waiver decides whether a failing item is waived.
	Waiver(item string) signoff.Decision
	// Approvals decides each required role, then other roles' approvals.
	Approvals() []signoff.Decision
}

// manual is the outcome of a manual item: pass with a valid attestation,
// fail when that person said no, else pending with why.
func (r *run) manual(it *checklist.Item, res report.Item) report.Item {
	d := signoff.Decision{Item: it.ID, State: signoff.Missing}
	if r.opts.Signoffs != nil {
		d = r.opts.Signoffs.Attestation(it.ID)
	}
	switch {
	case d.State == signoff.Valid && d.Rejected:
		rec := d.Record.Record
		res.Status, res.Reason = report.Fail, checks.ReasonSignoffRejected
		res.Message = fmt.Sprintf("%s (%s) answered no", rec.Signer(), rec.Role)
		if rec.Note != "" {
			res.Message += ": " + rec.Note
		}
	case d.State == signoff.Valid:
		res.Status = report.Pass
	case d.Record != nil:
		rec := d.Record.Record
		res.Status, res.Reason = report.Pending, report.SignoffReason(d.State)
		res.Message = fmt.Sprintf("sign-off by %s (%s, %s) is %s: %s; %s", rec.Signer(), rec.Role,
			rec.Created.UTC().Format("2006-01-02"), d.State, d.Record.Reason, signHint(it))
	default:
		res.Status, res.Reason = report.Pending, checks.ReasonSignoffMissing
		res.Message = "waiting for a sign-off"
		if len(it.Manual.Roles) > 0 {
			res.Message += " by " + strings.Join(it.Manual.Roles, " or ")
		}
		if r.opts.Signoffs != nil {
			res.Message += ": " + signHint(it)
		}
	}
	if d.Record != nil {
		row := r.signoffRow(d.Record)
		res.Signoff = &row
	}
	res.Message = r.redactor.String(res.Message)
	return res
}

// waive turns a failing item into waived when a valid waiver covers it.
// An expired, stale or invalid waiver is shown, and changes nothing.
func (r *run) waive(it *checklist.Item, res report.Item) report.Item {
	if r.opts.Signoffs == nil {
		return res
	}
	d := r.opts.Signoffs.Waiver(it.ID)
	if d.Record == nil {
		return res
	}
	rec := d.Record.Record
	if d.Counts() {
		was := res.Message
		res.Status = report.Waived
		res.Message = fmt.Sprintf("waived until %s by %s: %s", rec.Expires.UTC().Format("2006-01-02"), rec.Signer(), r.redactor.String(rec.Note))
		if was != "" {
			res.Message += " (was: " + was + ")"
		}
	} else {
		res.Message += r.redactor.String(fmt.Sprintf(" (waiver by %s does not apply: %s: %s)", rec.Signer(), d.State, d.Record.Reason))
	}
	row := r.signoffRow(d.Record)
	res.Signoff = &row
	return res
}

// signoffTable is the report's sign-off table (required approvals first,
// then other approvals, then the sign-offs of the run's items) and
// whether every required role approved.
func (r *run) signoffTable(items []report.Item) ([]report.Signoff, bool) {
	table := []report.Signoff{}
	if r.opts.Signoffs == nil {
		return table, true
	}
	met := true
	for _, d := range r.opts.Signoffs.Approvals() {
		if d.Required && !d.Counts() {
			met = false
		}
		var row report.Signoff
		if d.Record != nil {
			row = r.signoffRow(d.Record)
		} else {
			row = report.Signoff{
				Type: string(signoff.Approve), Role: d.Role, RoleTitle: roleTitle(&r.cl.Signoff, d.Role), State: d.State,
				Reason: "no approval: readyctl approve --role " + d.Role + " --report REPORT.json",
			}
		}
		row.Required = d.Required
		table = append(table, row)
	}
	for _, it := range items {
		if it.Signoff != nil {
			table = append(table, *it.Signoff)
		}
	}
	return table, met
}

func (r *run) signoffRow(j *signoff.Judged) report.Signoff {
	return signoffRow(&r.cl.Signoff, r.redactor, j)
}

// SignoffRows are judged records as rows of a sign-off table (readyctl
// signoffs list), redacted with the checklist's secrets like a report.
func SignoffRows(cl *checklist.Checklist, js []*signoff.Judged) []report.Signoff {
	red := redact.New(cl.Secrets)
	out := make([]report.Signoff, 0, len(js))
	for _, j := range js {
		out = append(out, signoffRow(&cl.Signoff, red, j))
	}
	return out
}

func signoffRow(p *checklist.SignoffPolicy, red *redact.Redactor, j *signoff.Judged) report.Signoff {
	r := j.Record
	if r == nil { // a file that is not a record
		return report.Signoff{State: j.State, Reason: red.String(j.Reason), Record: j.Path}
	}
	s := report.Signoff{
		Type: string(r.Type), Item: r.Item, Role: r.Role, RoleTitle: roleTitle(p, r.Role),
		Name: red.String(r.Name), Email: r.Email, Date: r.Created.UTC(),
		State: j.State, Reason: red.String(j.Reason), Note: red.String(r.Note),
		Key: j.Signer, Record: j.Path,
	}
	if r.Expires != nil {
		s.Expires = r.Expires.UTC()
	}
	if r.Decision == signoff.Rejected {
		s.Decision = signoff.Rejected
	}
	return s
}

func roleTitle(p *checklist.SignoffPolicy, id string) string {
	if r, ok := p.Role(id); ok && r.Title != id {
		return r.Title
	}
	return ""
}

func signHint(it *checklist.Item) string {
	role := "ROLE"
	if len(it.Manual.Roles) == 1 {
		role = it.Manual.Roles[0]
	}
	return fmt.Sprintf("readyctl signoff %s --role %s", it.ID, role)
}
