package pgcheck

import (
	"context"
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/testsvc"
)

// monitorPW is the password of the pg_monitor role the fixtures create.
const monitorPW = "M0nitor-pw"

// roleDSN is pg's TCP DSN for db as another role.
func roleDSN(t *testing.T, pg *testsvc.Postgres, db, user, password string) string {
	t.Helper()
	u, err := url.Parse(pg.DSN(db))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(user, password)
	return u.String()
}

// roleFixtures creates the roles the README recommends (monitor) and one
// that may signal backends (signaller).
func roleFixtures(t *testing.T, pg *testsvc.Postgres) {
	pg.Exec(t, "postgres",
		"CREATE ROLE monitor LOGIN PASSWORD '"+monitorPW+"'",
		"GRANT pg_monitor TO monitor",
		"CREATE ROLE signaller LOGIN PASSWORD '"+monitorPW+"'",
		"GRANT pg_signal_backend TO signaller")
	pg.Exec(t, "app",
		"GRANT SELECT ON ALL TABLES IN SCHEMA public TO monitor",
		"CREATE EXTENSION IF NOT EXISTS dblink",
		"CREATE EXTENSION IF NOT EXISTS adminpack")
}

func TestSQLGuard(t *testing.T) {
	for _, ok := range []string{
		"SELECT 1",
		"select 1;",
		"  (SELECT 1) ;; ",
		"WITH x AS (SELECT 1) SELECT * FROM x",
		"VALUES (1), (2)",
		"TABLE items",
		"SHOW server_version",
		"SELECT 'delete from items; insert' AS s",
		"SELECT $$ ; DROP TABLE items; $$",
		"SELECT $tag$ it's $$ nested $tag$",
		"SELECT 1 -- ; DELETE FROM items",
		"/* DELETE /* nested */ still comment; */ SELECT 1",
		`SELECT "update" FROM (SELECT 1 AS "update") t`,
		`SELECT E'it\'s; delete'`,
		"SELECT 'it''s; copy'",
		"SELECT count(*) FROM pg_stat_activity WHERE state = 'active'",
		"SELECT lo FROM (SELECT 1 AS lo) t",
		"SELECT pg_sleep(0.1)",
		"SELECT pg_read_file('postgresql.conf', 0, 10)",
		"SELECT currval('counter')",
		"SELECT $1::int",
	} {
		if err := checkReadOnlySQL(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, c := range []struct{ sql, fragment string }{
		{"INSERT INTO items VALUES (1)", "INSERT is not accepted"},
		{"DELETE FROM items", "DELETE is not accepted"},
		{"COPY items TO PROGRAM 'id'", "COPY is not accepted"},
		{"copy (select 1) to '/tmp/x'", "COPY is not accepted"},
		{"CHECKPOINT", "CHECKPOINT is not accepted"},
		{"DO $$ BEGIN PERFORM 1; END $$", "DO is not accepted"},
		{"EXPLAIN ANALYZE DELETE FROM items", "EXPLAIN is not accepted"},
		{"SET statement_timeout = 0", "SET is not accepted"},
		{"COMMIT", "COMMIT is not accepted"},
		{"SELECT 1; DELETE FROM items", "only one statement"},
		{"SELECT 1 /* */; SELECT 2", "only one statement"},
		{"WITH d AS (DELETE FROM items RETURNING *) SELECT count(*) FROM d", "DELETE"},
		{"WITH d AS MATERIALIZED (UPDATE items SET name = 'x' RETURNING *) SELECT 1", "UPDATE"},
		{"WITH x AS (SELECT 1) INSERT INTO items SELECT * FROM x", "INSERT"},
		{"WITH m AS (MERGE INTO items USING x ON true WHEN MATCHED THEN DELETE) SELECT 1", "MERGE"},
		{"SELECT * INTO evil FROM items", "SELECT INTO"},
		{"SELECT * FROM items FOR UPDATE", "UPDATE"},
		{"SELECT * FROM items FOR KEY SHARE", "FOR SHARE"},
		{"SELECT PG_TERMINATE_BACKEND(1)", "backend signalling"},
		{"SELECT pg_catalog.pg_cancel_backend(1)", "backend signalling"},
		{`SELECT "pg_terminate_backend"(1)`, "backend signalling"},
		{"SELECT/**/nextval('counter')", "sequences"},
		{"SELECT lo_export(1, '/tmp/x')", "large objects"},
		{"SELECT * FROM dblink('dbname=app', 'select 1') AS t(x int)", "dblink"},
		{"SELECT query_to_xml('select 1', true, false, '')", "SQL in a string"},
		{`SELECT U&"pg\005fsleep"(1)`, "Unicode escapes"},
		{"SELECT 'unterminated", "unterminated string"},
		{"SELECT $x$ never closed", "unterminated dollar-quoted"},
		{"SELECT 1 /* open", "unterminated /* comment"},
		{`SELECT "open`, "unterminated quoted identifier"},
		{"  ; ", "no statement"},
	} {
		err := checkReadOnlySQL(c.sql)
		if err == nil || !strings.Contains(err.Error(), c.fragment) {
			t.Errorf("%q: %v, want an error containing %q", c.sql, err, c.fragment)
		}
	}
	// Every denied name is refused however it is written.
	for _, g := range deniedFunctions {
		for _, n := range g.Names {
			n = strings.TrimSuffix(n, "*")
			for _, sql := range []string{"SELECT " + n + "()", "SELECT pg_catalog." + strings.ToUpper(n) + " (1)", `SELECT "` + n + `"(1)`} {
				if err := checkReadOnlySQL(sql); err == nil || !strings.Contains(err.Error(), g.Group) {
					t.Errorf("%q: %v, want refused as %s", sql, err, g.Group)
				}
			}
		}
	}
}

// serverState reads what a side effect would change: rows, sequences,
// large objects, replication slots, advisory locks, statistics resets,
// configuration reloads, WAL segment, checkpoints, transaction ids, and a
// file the examples would write.
func serverState(t *testing.T, pg *testsvc.Postgres) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pg.SocketDSN("app"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var s string
	err = conn.QueryRow(ctx, `SELECT concat_ws(' | ',
		(SELECT string_agg(id || ':' || name, ',' ORDER BY id) FROM items),
		(SELECT last_value FROM counter),
		(SELECT count(*) FROM pg_class WHERE relname = 'evil'),
		(SELECT count(*) FROM pg_largeobject_metadata),
		(SELECT count(*) FROM pg_replication_slots),
		(SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'),
		(SELECT coalesce(stats_reset::text, 'never') FROM pg_stat_database WHERE datname = 'app'),
		(SELECT coalesce(stats_reset::text, 'never') FROM pg_stat_bgwriter),
		(SELECT checkpoints_req FROM pg_stat_bgwriter),
		pg_conf_load_time(),
		pg_walfile_name(pg_current_wal_lsn()),
		pg_snapshot_xmax(pg_current_snapshot()))`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("/tmp/readyctl-evil"); err == nil {
		s += " | file written"
	}
	return s
}

// testDenied tries every denied statement and function against the real
// server, as a superuser with allow_privileged (so nothing but the guard
// stands in the way): each is refused at load and at run, and the server,
// including a session of "the application", is unchanged.
func testDenied(t *testing.T, pg *testsvc.Postgres) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	app, err := pgx.Connect(ctx, pg.SocketDSN("app"))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close(ctx)

	type attempt struct{ name, sql string }
	attempts := []attempt{
		{"COPY TO PROGRAM", "COPY (SELECT 1) TO PROGRAM 'touch /tmp/readyctl-evil'"},
		{"COPY TO file", "COPY items TO '/tmp/readyctl-evil'"},
		{"COPY FROM", "COPY items FROM '/etc/hostname'"},
		{"CHECKPOINT", "CHECKPOINT"},
		{"insert", "INSERT INTO items (name) VALUES ('evil')"},
		{"delete via CTE", "WITH d AS (DELETE FROM items RETURNING *) SELECT count(*) FROM d"},
		{"SELECT INTO", "SELECT * INTO evil FROM items"},
		{"DO block", "DO $$ BEGIN SET TRANSACTION READ WRITE; INSERT INTO items (name) VALUES ('evil'); END $$"},
		{"two statements", "SET TRANSACTION READ WRITE; INSERT INTO items (name) VALUES ('evil')"},
	}
	for _, g := range deniedFunctions {
		attempts = append(attempts, attempt{g.Group + " example", g.Example})
		for _, n := range g.Names {
			attempts = append(attempts, attempt{g.Group + " " + n, "SELECT " + strings.TrimSuffix(n, "*") + "()"})
		}
	}
	before := serverState(t, pg)
	for _, a := range attempts {
		t.Run(a.name, func(t *testing.T) {
			p := decode(t, pg.DSN("app"), "allow_privileged: true")
			p.Query = &Query{SQL: a.sql}
			var fe *checks.FieldError
			if err := p.Validate(); !errors.As(err, &fe) || fe.Field != "query.sql" {
				t.Fatalf("Validate() = %v, want a FieldError on query.sql", err)
			}
			r := run(t, p, 10*time.Second)
			r.Want(t, "error", "query.sql")
			if r.Reason() != checks.ReasonConfig {
				t.Errorf("reason %q, want config", r.Reason())
			}
			if after := serverState(t, pg); after != before {
				t.Fatalf("server changed:\nbefore %s\nafter  %s", before, after)
			}
			if err := app.Ping(ctx); err != nil {
				t.Fatalf("the application's session is gone: %v", err)
			}
		})
	}
}

// testUnsafeRole: checklist SQL does not run as a role that can act
// outside the rows, unless the item allows it; status checks still do.
func testUnsafeRole(t *testing.T, pg *testsvc.Postgres) {
	q := `query: {sql: "SELECT count(*) FROM items"}`
	r := run(t, decode(t, pg.DSN("app"), q), 10*time.Second)
	r.Want(t, "error", `role "postgres" is a superuser`, "allow_privileged")
	if r.Reason() != ReasonUnsafeRole {
		t.Errorf("superuser: reason %q, want %s", r.Reason(), ReasonUnsafeRole)
	}
	r = run(t, decode(t, roleDSN(t, pg, "app", "signaller", monitorPW), q), 10*time.Second)
	r.Want(t, "error", "is a member of pg_signal_backend")
	if r.Reason() != ReasonUnsafeRole {
		t.Errorf("pg_signal_backend: reason %q, want %s", r.Reason(), ReasonUnsafeRole)
	}
	run(t, decode(t, pg.DSN("app"), "allow_privileged: true\n"+q), 10*time.Second).Want(t, "pass")
	run(t, decode(t, pg.DSN("app"), ""), 10*time.Second).Want(t, "pass")
	r = run(t, decode(t, roleDSN(t, pg, "app", "monitor", monitorPW), q), 10*time.Second)
	r.Want(t, "pass")
	if r.Obs["value"] == nil {
		t.Errorf("monitor role: value %v", r.Obs["value"])
	}
}

// testTooLarge: a huge value or an endless result stops at max_bytes with
// reason too_large, instead of being read into memory.
func testTooLarge(t *testing.T, pg *testsvc.Postgres) {
	dsn := roleDSN(t, pg, "app", "monitor", monitorPW)
	for _, c := range []struct{ name, opts, fragment string }{
		{"one huge value", `query: {sql: "SELECT repeat('x', 50000000)"}`, "a row of 50000006 bytes is larger than max_bytes 1048576 (1.0 MiB)"},
		{"many rows", `query: {sql: "SELECT g FROM generate_series(1, 2000000) g"}`, "the query result"},
		{"many empty rows", `query: {sql: "SELECT FROM generate_series(1, 2000000)"}`, "the query result"},
		{"raised cap still caps", "max_bytes: 2000000\n" + `query: {sql: "SELECT repeat('x', 3000000)"}`, "a row of 3000006 bytes is larger than max_bytes 2000000"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, decode(t, dsn, c.opts), 20*time.Second)
			r.Want(t, "error", c.fragment, "max_bytes")
			if r.Reason() != checks.ReasonTooLarge {
				t.Errorf("reason %q, want too_large", r.Reason())
			}
		})
	}
	r := run(t, decode(t, dsn, "max_bytes: 4000000\n"+`query: {sql: "SELECT repeat('x', 3000000)"}`), 20*time.Second)
	r.Want(t, "pass")
	if s, _ := r.Obs["value"].(string); len(s) != 3000000 {
		t.Errorf("value of %d bytes", len(s))
	}
}

// countingTracer counts the statements a connection sends.
type countingTracer struct{ sqls []string }

func (c *countingTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	c.sqls = append(c.sqls, d.SQL)
	return ctx
}

func (c *countingTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// testMigrationsOneQuery: tool: auto resolves every candidate table in one
// query, then reads the one found.
func testMigrationsOneQuery(t *testing.T, pg *testsvc.Postgres) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg, err := pgx.ParseConfig(pg.SocketDSN("mig"))
	if err != nil {
		t.Fatal(err)
	}
	tr := &countingTracer{}
	cfg.Tracer = tr
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, schema := range []string{"goose_ok", "rails_ok", "nothing"} {
		tr.sqls = nil
		p := New()
		p.Migrations = &Migrations{Schema: schema}
		if _, err := p.checkMigrations(ctx, conn, checks.Observations{}); err != nil {
			t.Fatal(err)
		}
		want := 2
		if schema == "nothing" {
			want = 1
		}
		if len(tr.sqls) != want {
			t.Errorf("schema %s: %d statements, want %d (one to resolve the tables): %q", schema, len(tr.sqls), want, tr.sqls)
		}
	}
}
