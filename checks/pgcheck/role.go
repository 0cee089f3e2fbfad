package pgcheck

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/readyctl/readyctl/checks"
)

// ReasonUnsafeRole is the reason of an item whose checklist SQL would run
// with a role that can act outside the database's rows.
const ReasonUnsafeRole = "unsafe_role"

// unsafeRoles are the predefined roles whose members can run programs on
// the database host, write its files or signal other sessions from SQL:
// a read-only transaction stops none of that.
var unsafeRoles = []string{"pg_execute_server_program", "pg_write_server_files", "pg_signal_backend"}

// checkRole refuses to run checklist SQL as a superuser or a member of an
// unsafe role, unless the item says allow_privileged. Roles that do not
// exist on an older server are skipped.
func (p *Probe) checkRole(ctx context.Context, conn *pgx.Conn) error {
	if p.AllowPrivileged {
		return nil
	}
	var user string
	var super bool
	var member []string
	err := conn.QueryRow(ctx, `SELECT current_user::text,
		  (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),
		  coalesce((SELECT array_agg(r.rolname::text ORDER BY r.rolname) FROM pg_roles r
		     WHERE r.rolname = ANY($1) AND pg_has_role(current_user, r.oid, 'MEMBER')), '{}')`,
		unsafeRoles).Scan(&user, &super, &member)
	if err != nil {
		return err
	}
	var why string
	switch {
	case super:
		why = "is a superuser"
	case len(member) > 0:
		why = "is a member of " + strings.Join(member, ", ")
	default:
		return nil
	}
	return checks.WithReason(ReasonUnsafeRole, fmt.Errorf(
		"%s: role %q %s, so query could run programs, write files or end sessions despite the read-only transaction; connect as a role with only pg_monitor (or pg_read_all_stats) and SELECT grants, or set allow_privileged: true",
		describe(conn.Config()), user, why))
}
