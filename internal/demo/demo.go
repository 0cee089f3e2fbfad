// Package demo wires `readyctl demo`: it signs the checklist's manual
// items with demo identities generated for the run (in real use, people
// sign), and marks the items whose server could not be started.
package demo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/demo/platform"
	"github.com/readyctl/readyctl/internal/signoff"
)

// Note is kept with every demo sign-off and shown in the report.
const Note = "demo identity made for this run; in real use, people sign"

// Identity is the demo person signing in a role.
func Identity(role string) (name, email string) {
	return "Demo " + strings.ReplaceAll(role, "-", " "), role + "@demo.invalid"
}

// SignAll writes into dir an attestation of every manual item, by the
// first role allowed to sign it, and an approval by every declared role,
// each by its own demo identity (so distinct_signers holds).
func SignAll(dir string, cl *checklist.Checklist, now time.Time) error {
	for _, it := range cl.Items() {
		if it.Manual == nil {
			continue
		}
		role := ""
		if len(it.Manual.Roles) > 0 {
			role = it.Manual.Roles[0]
		} else if ids := cl.Signoff.RoleIDs(); len(ids) > 0 {
			role = ids[0]
		}
		digest, err := signoff.ItemDigest(it)
		if err != nil {
			return err
		}
		name, email := Identity(role)
		r := &signoff.Record{Type: signoff.Attest, Item: it.ID, Role: role, Decision: signoff.Confirmed,
			Name: name, Email: email, Created: now, Note: Note, Environment: cl.Environment,
			Checklist: cl.Name, ChecklistSHA256: cl.SHA256, ItemSHA256: digest}
		if _, err := signoff.Write(dir, r, nil); err != nil {
			return fmt.Errorf("demo sign-off of %s: %w", it.ID, err)
		}
	}
	// Approvals name the report they approve; the demo's people approve
	// this run before it happens, which real approvers never do.
	sum := sha256.Sum256([]byte("readyctl demo run " + now.String()))
	for _, role := range cl.Signoff.RoleIDs() {
		name, email := Identity(role)
		r := &signoff.Record{Type: signoff.Approve, Role: role, Name: name, Email: email, Created: now,
			Note: Note, Environment: cl.Environment, Checklist: cl.Name, ChecklistSHA256: cl.SHA256,
			ReportSHA256: hex.EncodeToString(sum[:]), ReportVerdict: "ready"}
		if _, err := signoff.Write(dir, r, nil); err != nil {
			return fmt.Errorf("demo approval by %s: %w", role, err)
		}
	}
	return nil
}

// unavailable stands in for a probe whose server is not there.
type unavailable struct {
	checks.Probe
	why string
}

func (u unavailable) Unavailable() string { return u.why }

func (u unavailable) Run(context.Context) (checks.Observations, error) {
	return nil, fmt.Errorf("%s", u.why)
}

// MarkUnavailable replaces the probes of the kinds why names (kind ->
// reason) so the runner skips them with that reason.
func MarkUnavailable(cl *checklist.Checklist, why func(kind string) (string, bool)) (skipped []string) {
	for _, it := range cl.Items() {
		if it.Probe == nil {
			continue
		}
		if reason, ok := why(it.Kind); ok {
			it.Probe = unavailable{Probe: it.Probe, why: reason}
			skipped = append(skipped, it.ID)
		}
	}
	return skipped
}

// Prepared is the shipped checklist loaded against a running platform,
// with its manual items signed in a temporary directory.
type Prepared struct {
	Checklist *checklist.Checklist
	Signoffs  *signoff.Book
	dir       string
}

// Close removes the demo's sign-offs.
func (p *Prepared) Close() { _ = os.RemoveAll(p.dir) }

// Prepare loads data (the embedded checklist.yaml) with the platform's
// variables (overridden by vars) and environment (before lookup), marks
// the items of missing servers unavailable and signs the manual items.
func Prepare(data []byte, plat *platform.Platform, vars map[string]string, lookup func(string) (string, bool)) (*Prepared, error) {
	all := map[string]string{}
	for k, v := range plat.Vars {
		all[k] = v
	}
	for k, v := range vars {
		all[k] = v
	}
	env := func(k string) (string, bool) {
		if v, ok := plat.Env[k]; ok {
			return v, true
		}
		if lookup != nil {
			return lookup(k)
		}
		return os.LookupEnv(k)
	}
	cl, err := checklist.Parse("checklist.yaml", data, checklist.Options{Vars: all, LookupEnv: env})
	if err != nil {
		return nil, err
	}
	MarkUnavailable(cl, plat.Unavailable)
	dir, err := os.MkdirTemp("", "readyctl-demo-signoffs-")
	if err != nil {
		return nil, err
	}
	p := &Prepared{Checklist: cl, dir: dir}
	now := time.Now()
	if err := SignAll(dir, cl, now); err != nil {
		p.Close()
		return nil, err
	}
	if p.Signoffs, err = signoff.Open(signoff.Options{Checklist: cl, Dir: dir, Now: now}); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}
