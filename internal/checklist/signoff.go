package checklist

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// SignoffPolicy is the checklist's `signoff:` block: who may sign what,
// and what a run needs from people before it can be ready. The zero value
// (no block) declares no roles and requires nothing.
type SignoffPolicy struct {
	Roles   []Role   `yaml:"roles" doc:"the people who sign off, by role (id and title), e.g. the seed's 13 roles"`
	Require []string `yaml:"require" doc:"role ids whose approval (readyctl approve) every run needs"`
	MaxAge  Age      `yaml:"max_age" doc:"an attestation or approval older than this does not count, e.g. 30d or 72h"`
	// AllowedSigners is resolved against the checklist's directory.
	AllowedSigners       string `yaml:"allowed_signers" doc:"SSH allowed_signers file mapping principals (emails) to keys; when set, only records signed by a listed key count"`
	DistinctSigners      bool   `yaml:"distinct_signers" doc:"one person cannot fill two required roles"`
	ForbidSelfApproval   bool   `yaml:"forbid_self_approval" doc:"an approver must not be the CI actor (GITHUB_ACTOR, GITLAB_USER_LOGIN) or the commit author"`
	AllowCriticalWaivers bool   `yaml:"allow_critical_waivers" doc:"allow waivers of critical items (by default only warning and info items can be waived)"`
	// BindAttestationsToRelease extends to attestations the rule that
	// approvals count only for the release they were given for.
	BindAttestationsToRelease bool `yaml:"bind_attestations_to_release" doc:"an attestation of a manual item counts only for runs of the release it was signed for (approvals always are)"`
}

// Role is one role that may sign.
type Role struct {
	ID    string `yaml:"id" doc:"role id, [a-z0-9][a-z0-9-]*"`
	Title string `yaml:"title" doc:"as shown in the sign-off table, e.g. QA Lead"`
	// Signers restricts who may sign in this role, by principal pattern
	// (allowed_signers syntax: *, ?, !negation).
	Signers []string `yaml:"signers" doc:"principal patterns (emails) allowed to sign in this role; empty = anyone"`
}

// Role returns the declared role with this id.
func (p *SignoffPolicy) Role(id string) (Role, bool) {
	for _, r := range p.Roles {
		if r.ID == id {
			return r, true
		}
	}
	return Role{}, false
}

// CheckRole says why a record or a command may not use role id: it is
// not declared, while the policy declares roles. With no roles declared
// any role goes. This is the one place the rule is written.
func (p *SignoffPolicy) CheckRole(id string) error {
	if len(p.Roles) == 0 {
		return nil
	}
	if _, ok := p.Role(id); ok {
		return nil
	}
	msg := fmt.Sprintf("role %q is not declared in signoff.roles (declared: %s)", id, strings.Join(p.RoleIDs(), ", "))
	if s := Suggest(id, p.RoleIDs()); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	return errors.New(msg)
}

// Warnings are policy settings that do less than they seem to: rules
// about who signs that rest on names anyone can type.
func (p *SignoffPolicy) Warnings() []string {
	var out []string
	if p.AllowedSigners != "" {
		return nil
	}
	for _, s := range []struct {
		on   bool
		name string
	}{{p.DistinctSigners, "distinct_signers"}, {p.ForbidSelfApproval, "forbid_self_approval"}} {
		if s.on {
			out = append(out, fmt.Sprintf("signoff.%s is set without signoff.allowed_signers: names and emails in unsigned records can be typed by anyone, so the rule is easy to get around", s.name))
		}
	}
	return out
}

// RoleIDs lists the declared role ids in order.
func (p *SignoffPolicy) RoleIDs() []string {
	ids := make([]string, len(p.Roles))
	for i, r := range p.Roles {
		ids[i] = r.ID
	}
	return ids
}

// Age is a duration that also accepts days and weeks (30d, 2w), because
// sign-off lifetimes are counted in days.
type Age time.Duration

// UnmarshalYAML reads an Age from a scalar such as 30d, 2w or 72h.
func (a *Age) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected a duration such as 30d or 72h, got %s", describe(n))
	}
	d, err := ParseAge(n.Value)
	if err != nil {
		return err
	}
	*a = Age(d)
	return nil
}

// ParseAge parses a Go duration (72h, 90m) or a whole number of days or
// weeks (30d, 2w). It refuses negative values.
func ParseAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("bad duration %q: expected e.g. 30d, 2w, 72h or 90m", s)
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 {
			return 0, bad
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	if n, ok := strings.CutSuffix(s, "w"); ok {
		weeks, err := strconv.Atoi(n)
		if err != nil || weeks < 0 {
			return 0, bad
		}
		return time.Duration(weeks) * 7 * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, bad
	}
	return d, nil
}

// loadSignoffPolicy decodes and validates the `signoff:` block.
func (l *loader) loadSignoffPolicy(n *yaml.Node) SignoffPolicy {
	var p SignoffPolicy
	if n == nil || n.Kind == 0 || n.Tag == "!!null" {
		return p
	}
	l.decode(n, &p, "signoff")
	seen := map[string]bool{}
	rolesNode := valueNode(n, "roles")
	for i := range p.Roles {
		r := &p.Roles[i]
		rn := seqElem(n, "roles", i)
		switch {
		case r.ID == "":
			l.errAt(rn, 0, "signoff.roles: a role needs an id")
		case !idPattern.MatchString(r.ID):
			l.errAt(valueNodeOr(rn, "id"), 0, fmt.Sprintf("signoff.roles: role id %q must match [a-z0-9][a-z0-9-]*", r.ID))
		case seen[r.ID]:
			l.errAt(valueNodeOr(rn, "id"), 0, fmt.Sprintf("signoff.roles: duplicate role id %q", r.ID))
		}
		seen[r.ID] = true
		if r.Title == "" {
			r.Title = r.ID
		}
	}
	for i, id := range p.Require {
		if !seen[id] {
			l.errAt(seqElem(n, "require", i), 0, l.unknownRole("signoff.require", id, p.RoleIDs(), rolesNode == nil))
		}
	}
	if p.AllowedSigners != "" {
		path := p.AllowedSigners
		if !filepath.IsAbs(path) {
			path = filepath.Join(filepath.Dir(l.path), path)
		}
		if _, err := os.Stat(path); err != nil {
			l.errAt(valueNode(n, "allowed_signers"), 0, fmt.Sprintf("signoff.allowed_signers: cannot read %s: %v", path, unwrapPathError(err)))
		}
		p.AllowedSigners = path
	}
	return p
}

// checkManualRoles checks that manual items name declared roles, when the
// policy declares roles.
func (l *loader) checkManualRoles(c *Checklist) {
	if len(c.Signoff.Roles) == 0 {
		return
	}
	for _, it := range c.Items() {
		if it.Manual == nil {
			continue
		}
		manual := valueNode(it.Raw, "manual")
		for i, role := range it.Manual.Roles {
			if _, ok := c.Signoff.Role(role); !ok {
				l.item = it.ID
				l.errAt(seqElem(manual, "roles", i), 0, l.unknownRole("manual.roles", role, c.Signoff.RoleIDs(), false))
				l.item = ""
			}
		}
	}
}

func (l *loader) unknownRole(field, id string, known []string, noRoles bool) string {
	if noRoles {
		return fmt.Sprintf("%s: role %q is not declared: add it under signoff.roles", field, id)
	}
	msg := fmt.Sprintf("%s: role %q is not declared under signoff.roles", field, id)
	if s := Suggest(id, known); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return msg
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
