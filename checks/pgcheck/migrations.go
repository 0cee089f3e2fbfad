package pgcheck

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/readyctl/readyctl/checks"
)

// migState is what a tool's table says.
type migState struct {
	version  string            // current version, "" when none applied
	none     bool              // no migration recorded at all
	failed   []string          // dirty/failed migrations, by name
	problems []string          // messages for failed migrations and held locks
	apps     map[string]string // django: latest migration per app
}

type migrationTool struct {
	name  string
	table string
	read  func(ctx context.Context, conn *pgx.Conn, table pgx.Identifier) (*migState, error)
}

// migrationTools is the one list of tools, in the detection order of
// `tool: auto` and the order of messages. golang-migrate and Rails share
// schema_migrations: a dirty column tells them apart.
var migrationTools = []migrationTool{
	{"golang-migrate", "schema_migrations", readGolangMigrate},
	{"goose", "goose_db_version", readGoose},
	{"flyway", "flyway_schema_history", readFlyway},
	{"liquibase", "databasechangelog", readLiquibase},
	{"rails", "schema_migrations", readRails},
	{"django", "django_migrations", readDjango},
	{"prisma", "_prisma_migrations", readPrisma},
}

func lookupTool(name string) (migrationTool, bool) {
	for _, t := range migrationTools {
		if t.name == name {
			return t, true
		}
	}
	return migrationTool{}, false
}

func toolNames() []string {
	names := make([]string, len(migrationTools))
	for i, t := range migrationTools {
		names[i] = t.name
	}
	return names
}

// foundTable is a candidate table that exists.
type foundTable struct {
	id    pgx.Identifier // schema-qualified
	dirty bool           // has a dirty column (golang-migrate, not Rails)
}

// resolveTables resolves candidate table names, in schema or along the
// search_path, in one query, without building SQL from the names: the
// quoted names are a parameter of to_regclass. The result maps each name
// that exists to its table.
func resolveTables(ctx context.Context, conn *pgx.Conn, schema string, tables []string) (map[string]foundTable, error) {
	quoted := make([]string, len(tables))
	for i, t := range tables {
		id := pgx.Identifier{t}
		if schema != "" {
			id = pgx.Identifier{schema, t}
		}
		quoted[i] = id.Sanitize()
	}
	rows, err := conn.Query(ctx, `SELECT c.i::int, n.nspname::text, r.relname::text,
		  EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = r.oid AND a.attname = 'dirty' AND a.attnum > 0 AND NOT a.attisdropped)
		FROM unnest($1::text[]) WITH ORDINALITY AS c(name, i)
		JOIN pg_class r ON r.oid = to_regclass(c.name)
		JOIN pg_namespace n ON n.oid = r.relnamespace`, quoted)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	found := map[string]foundTable{}
	for rows.Next() {
		var i int
		var ns, rel string
		var dirty bool
		if err := rows.Scan(&i, &ns, &rel, &dirty); err != nil {
			return nil, err
		}
		found[tables[i-1]] = foundTable{pgx.Identifier{ns, rel}, dirty}
	}
	return found, rows.Err()
}

// findTable resolves one table (see resolveTables).
func findTable(ctx context.Context, conn *pgx.Conn, schema, table string) (pgx.Identifier, bool, error) {
	found, err := resolveTables(ctx, conn, schema, []string{table})
	if err != nil {
		return nil, false, err
	}
	f, ok := found[table]
	return f.id, ok, nil
}

func display(id pgx.Identifier) string { return strings.Join(id, ".") }

// checkMigrations finds the tool's table, reads it and compares it with the
// expected version. It returns failure messages; errors mean it could not
// read.
func (p *Probe) checkMigrations(ctx context.Context, conn *pgx.Conn, obs checks.Observations) ([]string, error) {
	m := p.Migrations
	tool := m.Tool
	if tool == "" {
		tool = "auto"
	}
	mobs := map[string]any{"tool": tool, "table": nil, "version": "", "dirty": false, "failed": []any{}}
	obs["migrations"] = mobs
	where := "on the search_path"
	if m.Schema != "" {
		where = fmt.Sprintf("in schema %q", m.Schema)
	}

	// The candidates: every tool's table for auto, else the one table.
	candidates := []migrationTool{}
	if tool == "auto" {
		candidates = migrationTools
	} else {
		t, _ := lookupTool(tool)
		if m.Table != "" {
			t.table = m.Table
		}
		candidates = append(candidates, t)
	}
	var names []string
	for _, t := range candidates {
		if !slices.Contains(names, t.table) {
			names = append(names, t.table)
		}
	}
	found, err := resolveTables(ctx, conn, m.Schema, names)
	if err != nil {
		return nil, err
	}

	// A tool matches when its table exists; schema_migrations belongs to
	// golang-migrate when it has a dirty column, else to Rails.
	type hit struct {
		tool  string
		table pgx.Identifier
	}
	var hits []hit
	for _, t := range candidates {
		f, ok := found[t.table]
		if !ok {
			continue
		}
		switch {
		case t.name == "golang-migrate" && !f.dirty && tool == "auto":
			continue // counted as rails
		case t.name == "golang-migrate" && !f.dirty:
			return []string{fmt.Sprintf("table %s has no dirty column, so it is not golang-migrate's (Rails uses the same name: set tool: rails)", display(f.id))}, nil
		case t.name == "rails" && f.dirty && tool == "auto":
			continue // counted as golang-migrate
		}
		hits = append(hits, hit{t.name, f.id})
	}
	var table pgx.Identifier
	switch {
	case len(hits) == 0 && tool == "auto":
		return []string{fmt.Sprintf("no migrations were applied: none of the migration tables (%s) exists %s",
			strings.Join(names, ", "), where)}, nil
	case len(hits) == 0:
		return []string{fmt.Sprintf("no migrations were applied: %s table %q does not exist %s", tool, candidates[0].table, where)}, nil
	case len(hits) == 1:
		tool, table = hits[0].tool, hits[0].table
		mobs["tool"] = tool
	default:
		var found []string
		for _, h := range hits {
			found = append(found, fmt.Sprintf("%s (%s)", h.tool, display(h.table)))
		}
		return []string{fmt.Sprintf("migrations tool: auto found tables of several tools: %s; set migrations.tool",
			strings.Join(found, ", "))}, nil
	}
	mobs["table"] = display(table)

	t, _ := lookupTool(tool)
	st, err := t.read(ctx, conn, table)
	if err != nil {
		return nil, err
	}
	mobs["version"] = st.version
	mobs["dirty"] = len(st.problems) > 0
	failed := make([]any, len(st.failed))
	for i, f := range st.failed {
		failed[i] = f
	}
	mobs["failed"] = failed
	if st.apps != nil {
		apps := map[string]any{}
		for k, v := range st.apps {
			apps[k] = v
		}
		mobs["apps"] = apps
	}

	fails := append([]string(nil), st.problems...)
	if st.none {
		return append(fails, fmt.Sprintf("no migrations were applied: %s table %s is empty", tool, display(table))), nil
	}
	if msg := checkVersion(tool, st, m.Version, m.MinVersion); msg != "" {
		fails = append(fails, msg)
	}
	return fails, nil
}

// checkVersion compares the applied version with version/min_version. For
// Django, "app.name" is compared with that app's latest migration.
func checkVersion(tool string, st *migState, want, atLeast string) string {
	if want == "" && atLeast == "" {
		return ""
	}
	have, label := st.version, "migration version"
	if tool == "django" {
		spec := want + atLeast
		if app, _, ok := strings.Cut(spec, "."); ok {
			want, atLeast = strings.TrimPrefix(want, app+"."), strings.TrimPrefix(atLeast, app+".")
			have, label = st.apps[app], fmt.Sprintf("django app %s migration", app)
			if have == "" {
				return fmt.Sprintf("no migration of django app %s is applied", app)
			}
		}
	}
	if want != "" && compareVersions(have, want) != 0 && !(tool == "django" && strings.HasPrefix(have, want+"_")) {
		return fmt.Sprintf("%s is %s, expected version %s", label, have, want)
	}
	if atLeast != "" && compareVersions(have, atLeast) < 0 {
		return fmt.Sprintf("%s %s is below min_version %s", label, have, atLeast)
	}
	return ""
}

func readGolangMigrate(ctx context.Context, conn *pgx.Conn, table pgx.Identifier) (*migState, error) {
	var version string
	var dirty bool
	err := conn.QueryRow(ctx, "SELECT version::text, dirty FROM "+table.Sanitize()+" LIMIT 1").Scan(&version, &dirty)
	if errors.Is(err, pgx.ErrNoRows) {
		return &migState{none: true}, nil
	}
	if err != nil {
		return nil, err
	}
	st := &migState{version: version}
	if dirty {
		st.failed = []string{version}
		st.problems = []string{fmt.Sprintf("golang-migrate migration %s is dirty: it failed part-way; repair the schema, then `migrate force` a clean version", version)}
	}
	return st, nil
}

func readGoose(ctx context.Context, conn *pgx.Conn, table pgx.Identifier) (*migState, error) {
	rows, err := conn.Query(ctx, "SELECT version_id, is_applied FROM "+table.Sanitize()+" ORDER BY id DESC")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	st := &migState{}
	seen := map[int64]bool{}
	for rows.Next() {
		var v int64
		var applied bool
		if err := rows.Scan(&v, &applied); err != nil {
			return nil, err
		}
		// The newest row of a version says whether it is applied now.
		if seen[v] {
			continue
		}
		seen[v] = true
		if applied && v > 0 && st.version == "" {
			st.version = fmt.Sprint(v)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	st.none = st.version == ""
	return st, nil
}

func readFlyway(ctx context.Context, conn *pgx.Conn, table pgx.Identifier) (*migState, error) {
	rows, err := conn.Query(ctx, "SELECT coalesce(version, ''), coalesce(description, ''), coalesce(type, ''), success FROM "+
		table.Sanitize()+" ORDER BY installed_rank")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	st := &migState{none: true}
	for rows.Next() {
		var version, desc, typ string
		var success bool
		if err := rows.Scan(&version, &desc, &typ, &success); err != nil {
			return nil, err
		}
		if typ == "SCHEMA" || typ == "DELETE" {
			continue
		}
		name := version
		if name == "" {
			name = "repeatable"
		}
		name += " (" + desc + ")"
		if !success {
			st.failed = append(st.failed, name)
			st.problems = append(st.problems, fmt.Sprintf("flyway migration %s failed (success = false in %s): fix it, then run flyway repair", name, display(table)))
			continue
		}
		st.none = false
		if version != "" && compareVersions(version, st.version) > 0 {
			st.version = version
		}
	}
	return st, rows.Err()
}

func readLiquibase(ctx context.Context, conn *pgx.Conn, table pgx.Identifier) (*migState, error) {
	rows, err := conn.Query(ctx, "SELECT id, author, filename, coalesce(exectype, '') FROM "+
		table.Sanitize()+" ORDER BY orderexecuted, dateexecuted")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	st := &migState{none: true}
	for rows.Next() {
		var id, author, file, exectype string
		if err := rows.Scan(&id, &author, &file, &exectype); err != nil {
			return nil, err
		}
		if exectype == "FAILED" {
			name := fmt.Sprintf("%s::%s::%s", file, id, author)
			st.failed = append(st.failed, name)
			st.problems = append(st.problems, fmt.Sprintf("liquibase changeset %s failed (exectype FAILED in %s)", name, display(table)))
			continue
		}
		st.none = false
		st.version = id
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// The lock table sits beside the changelog: databasechangeloglock.
	lock, ok, err := findTable(ctx, conn, table[0], table[1]+"lock")
	if err != nil || !ok {
		return st, err
	}
	var by string
	var granted *time.Time
	err = conn.QueryRow(ctx, "SELECT coalesce(lockedby, ''), lockgranted FROM "+lock.Sanitize()+" WHERE locked LIMIT 1").Scan(&by, &granted)
	if errors.Is(err, pgx.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return nil, err
	}
	since := ""
	if granted != nil {
		since = " since " + granted.UTC().Format(time.RFC3339)
	}
	if by == "" {
		by = "unknown"
	}
	st.failed = append(st.failed, display(lock))
	st.problems = append(st.problems, fmt.Sprintf("liquibase lock %s is held by %s%s: a migration is running or was interrupted (liquibase releaseLocks frees it)",
		display(lock), by, since))
	return st, nil
}

func readRails(ctx context.Context, conn *pgx.Conn, table pgx.Identifier) (*migState, error) {
	rows, err := conn.Query(ctx, "SELECT version::text FROM "+table.Sanitize())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	st := &migState{none: true}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		st.none = false
		if compareVersions(v, st.version) > 0 {
			st.version = v
		}
	}
	return st, rows.Err()
}

func readDjango(ctx context.Context, conn *pgx.Conn, table pgx.Identifier) (*migState, error) {
	rows, err := conn.Query(ctx, "SELECT app::text, name::text FROM "+table.Sanitize()+" ORDER BY applied, id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	st := &migState{none: true, apps: map[string]string{}}
	for rows.Next() {
		var app, name string
		if err := rows.Scan(&app, &name); err != nil {
			return nil, err
		}
		st.none = false
		st.version = app + "." + name
		if compareVersions(name, st.apps[app]) > 0 {
			st.apps[app] = name
		}
	}
	return st, rows.Err()
}

func readPrisma(ctx context.Context, conn *pgx.Conn, table pgx.Identifier) (*migState, error) {
	rows, err := conn.Query(ctx, "SELECT migration_name::text, finished_at IS NOT NULL, rolled_back_at IS NOT NULL FROM "+
		table.Sanitize()+" ORDER BY started_at, migration_name")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	st := &migState{none: true}
	for rows.Next() {
		var name string
		var finished, rolledBack bool
		if err := rows.Scan(&name, &finished, &rolledBack); err != nil {
			return nil, err
		}
		switch {
		case rolledBack:
		case !finished:
			st.failed = append(st.failed, name)
			st.problems = append(st.problems, fmt.Sprintf("prisma migration %s failed or is still running (finished_at and rolled_back_at are empty): resolve it with prisma migrate resolve", name))
		default:
			st.none = false
			if compareVersions(name, st.version) > 0 {
				st.version = name
			}
		}
	}
	return st, rows.Err()
}
