package pgcheck

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.yaml.in/yaml/v3"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/probetest"
	"github.com/readyctl/readyctl/internal/testsvc"
)

// TestPostgres shares one primary (password, TLS, WAL archiving,
// pg_stat_statements) between the subtests, to keep the package fast.
func TestPostgres(t *testing.T) {
	certs := testsvc.LoopbackCert(t, t.TempDir())
	pg := testsvc.StartPostgres(t, testsvc.PostgresOptions{
		Password:    secret,
		Archive:     true,
		SSLCertFile: certs.CertFile,
		SSLKeyFile:  certs.KeyFile,
	})
	pg.CreateDatabase(t, "app")
	pg.Exec(t, "app",
		`CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL)`,
		`INSERT INTO items (name) VALUES ('alpha'), ('beta'), ('gamma')`,
		`CREATE SEQUENCE counter`,
		`CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)`,
		`INSERT INTO schema_migrations VALUES (42, false)`)
	migrationFixtures(t, pg)
	roleFixtures(t, pg)

	t.Run("status", func(t *testing.T) { testStatus(t, pg) })
	t.Run("expect_role", func(t *testing.T) { testExpectRole(t, pg) })
	t.Run("max_connections_used", func(t *testing.T) { testConnectionsUsed(t, pg) })
	t.Run("max_transaction_age", func(t *testing.T) { testTransactionAge(t, pg) })
	t.Run("max_archive_age", func(t *testing.T) { testArchiveAge(t, pg) })
	t.Run("migrations", func(t *testing.T) { testMigrations(t, pg) })
	t.Run("migrations_one_query", func(t *testing.T) { testMigrationsOneQuery(t, pg) })
	t.Run("query", func(t *testing.T) { testQuery(t, pg) })
	t.Run("read_only", func(t *testing.T) { testReadOnly(t, pg) })
	t.Run("denied", func(t *testing.T) { testDenied(t, pg) })
	t.Run("unsafe_role", func(t *testing.T) { testUnsafeRole(t, pg) })
	t.Run("too_large", func(t *testing.T) { testTooLarge(t, pg) })
	t.Run("slow_queries", func(t *testing.T) { testSlowQueries(t, pg) })
	t.Run("errors", func(t *testing.T) { testErrors(t, pg, certs) })
	t.Run("tls", func(t *testing.T) { testTLS(t, pg, certs) })
	t.Run("env", func(t *testing.T) { testEnv(t, pg) })
	t.Run("replica", func(t *testing.T) { testReplica(t, pg) })
}

func testStatus(t *testing.T, pg *testsvc.Postgres) {
	r := run(t, decode(t, pg.DSN("app"), ""), 10*time.Second)
	r.Want(t, "pass")
	v, ok := r.Obs["server_version"].(int)
	if !ok || v < 100000 {
		t.Errorf("server_version = %#v, want an int like 150004", r.Obs["server_version"])
	}
	if r.Obs["in_recovery"] != false || r.Obs["role"] != "primary" {
		t.Errorf("in_recovery = %v, role = %v", r.Obs["in_recovery"], r.Obs["role"])
	}
	if d, ok := r.Obs["latency"].(time.Duration); !ok || d <= 0 {
		t.Errorf("latency = %#v, want a positive duration", r.Obs["latency"])
	}
	if r.Obs["database"] != "app" || r.Obs["user"] != "postgres" {
		t.Errorf("database = %v, user = %v", r.Obs["database"], r.Obs["user"])
	}
	if r.Obs["replication_lag"] != nil {
		t.Errorf("replication_lag on a primary = %v, want nil", r.Obs["replication_lag"])
	}
	for _, k := range []string{"connections_used_ratio", "longest_transaction", "last_archived_age", "version"} {
		if _, ok := r.Obs[k]; !ok {
			t.Errorf("observation %s missing", k)
		}
	}
}

func testExpectRole(t *testing.T, pg *testsvc.Postgres) {
	run(t, decode(t, pg.DSN("app"), "expect_role: primary"), 10*time.Second).Want(t, "pass")
	run(t, decode(t, pg.DSN("app"), "expect_role: replica"), 10*time.Second).
		Want(t, "fail", "server is a primary (not in recovery), expected replica")
}

func testConnectionsUsed(t *testing.T, pg *testsvc.Postgres) {
	run(t, decode(t, pg.DSN("app"), "max_connections_used: 0.9"), 10*time.Second).Want(t, "pass")
	r := run(t, decode(t, pg.DSN("app"), "max_connections_used: 0.01"), 10*time.Second)
	r.Want(t, "fail", "of max_connections 30 in use", "above max_connections_used 0.01")
	if ratio, _ := r.Obs["connections_used_ratio"].(float64); ratio < 1.0/30 {
		t.Errorf("connections_used_ratio = %v", r.Obs["connections_used_ratio"])
	}
}

func testTransactionAge(t *testing.T, pg *testsvc.Postgres) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pg.SocketDSN("app"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, "SELECT txid_current()"); err != nil {
		t.Fatal(err)
	}
	testsvc.Eventually(t, 5*time.Second, "transaction older than 300ms", func() error {
		r := run(t, decode(t, pg.DSN("app"), ""), 10*time.Second)
		if d, _ := r.Obs["longest_transaction"].(time.Duration); d < 300*time.Millisecond {
			return fmt.Errorf("longest_transaction %v", d)
		}
		return nil
	})
	run(t, decode(t, pg.DSN("app"), "max_transaction_age: 1h"), 10*time.Second).Want(t, "pass")
	run(t, decode(t, pg.DSN("app"), "max_transaction_age: 200ms"), 10*time.Second).
		Want(t, "fail", "a transaction has been open for", "above max_transaction_age 200ms")
}

func testArchiveAge(t *testing.T, pg *testsvc.Postgres) {
	pg.Exec(t, "app", "CREATE TABLE wal_filler AS SELECT generate_series(1, 1000) AS n", "SELECT pg_switch_wal()")
	testsvc.Eventually(t, 15*time.Second, "a WAL segment archived", func() error {
		r := run(t, decode(t, pg.DSN("app"), ""), 10*time.Second)
		if r.Obs["last_archived_age"] == nil {
			return errors.New("nothing archived yet")
		}
		return nil
	})
	run(t, decode(t, pg.DSN("app"), "max_archive_age: 1h"), 10*time.Second).Want(t, "pass")
	run(t, decode(t, pg.DSN("app"), "max_archive_age: 1us"), 10*time.Second).
		Want(t, "fail", "the last WAL segment was archived", "above max_archive_age 1µs")
}

func testQuery(t *testing.T, pg *testsvc.Postgres) {
	dsn := roleDSN(t, pg, "app", "monitor", monitorPW)
	r := run(t, decode(t, dsn, `query: {sql: "SELECT id, name, id * 1.5, NULL::text, now() FROM items ORDER BY id"}`), 10*time.Second)
	r.Want(t, "pass")
	rows, ok := r.Obs["rows"].([]any)
	if !ok || len(rows) != 3 {
		t.Fatalf("rows = %#v", r.Obs["rows"])
	}
	first := rows[0].([]any)
	if first[0] != 1 || first[1] != "alpha" || first[2] != 1.5 || first[3] != nil {
		t.Errorf("first row = %#v", first)
	}
	if _, ok := first[4].(time.Time); !ok {
		t.Errorf("timestamptz column is %T, want time.Time", first[4])
	}
	if r.Obs["value"] != 1 || r.Obs["row_count"] != 3 {
		t.Errorf("value = %#v, row_count = %#v", r.Obs["value"], r.Obs["row_count"])
	}
	if d, ok := r.Obs["query_duration"].(time.Duration); !ok || d <= 0 {
		t.Errorf("query_duration = %#v", r.Obs["query_duration"])
	}

	r = run(t, decode(t, dsn, `query: {sql: "SELECT 1 WHERE false"}`), 10*time.Second)
	r.Want(t, "pass")
	if r.Obs["value"] != nil || len(r.Obs["rows"].([]any)) != 0 {
		t.Errorf("empty result: value = %#v rows = %#v", r.Obs["value"], r.Obs["rows"])
	}

	// max_duration
	run(t, decode(t, dsn, `query: {sql: "SELECT pg_sleep(0.2)", max_duration: 5s}`), 10*time.Second).Want(t, "pass")
	run(t, decode(t, dsn, `query: {sql: "SELECT pg_sleep(0.2)", max_duration: 50ms}`), 10*time.Second).
		Want(t, "fail", "query took", "above max_duration 50ms")

	// A broken query is an error that says what the server said.
	r = run(t, decode(t, dsn, `query: {sql: "SELECT * FROM no_such_table"}`), 10*time.Second)
	r.Want(t, "error", `relation "no_such_table" does not exist`)
	if r.Reason() != "query" {
		t.Errorf("reason %q, want query", r.Reason())
	}

	// The statement_timeout sits inside the deadline: a query that would
	// outlive the item is cancelled by the server, nothing hangs.
	r = run(t, decode(t, dsn, `query: {sql: "SELECT pg_sleep(30)"}`), 1500*time.Millisecond)
	r.Want(t, "error")
	if r.Reason() != checks.ReasonTimeout || r.Elapsed > 3*time.Second {
		t.Errorf("reason %q after %s, want timeout within the deadline", r.Reason(), r.Elapsed)
	}
}

// testReadOnly proves that the session a checklist query runs in is
// read-only with a statement_timeout, even when the DSN asks otherwise;
// writing statements are refused before they reach the server (testDenied).
func testReadOnly(t *testing.T, pg *testsvc.Postgres) {
	sql := `query: {sql: "SELECT current_setting('default_transaction_read_only'), current_setting('statement_timeout'), current_setting('transaction_read_only')"}`
	dsn := roleDSN(t, pg, "app", "monitor", monitorPW)
	writeDSN := dsn + "&options=" + strings.ReplaceAll(url.QueryEscape("-c default_transaction_read_only=off"), "+", "%20")
	for _, dsn := range []string{dsn, writeDSN} {
		r := run(t, decode(t, dsn, sql), 5*time.Second)
		r.Want(t, "pass")
		row := r.Obs["rows"].([]any)[0].([]any)
		if row[0] != "on" || row[1] == "0" || row[2] != "on" {
			t.Errorf("session settings = %v, want read-only with a statement_timeout", row)
		}
	}
}

func testSlowQueries(t *testing.T, pg *testsvc.Postgres) {
	if !pg.StatStatements {
		t.Skip("pg_stat_statements is not installed on this machine")
	}
	pg.CreateDatabase(t, "stats")
	pg.Exec(t, "stats", "CREATE EXTENSION pg_stat_statements", "SELECT pg_stat_statements_reset()",
		"SELECT pg_sleep(0.15)", "SELECT pg_sleep(0.15)", "SELECT 1")
	dsn := pg.DSN("stats")
	r := run(t, decode(t, dsn, "slow_queries: {max_mean: 10s}"), 10*time.Second)
	r.Want(t, "pass")
	if d, _ := r.Obs["slowest_mean"].(time.Duration); d < 140*time.Millisecond {
		t.Errorf("slowest_mean = %v, want about 150ms", r.Obs["slowest_mean"])
	}
	run(t, decode(t, dsn, "slow_queries: {max_mean: 50ms}"), 10*time.Second).
		Want(t, "fail", "1 statement has a mean time above max_mean 50ms", "over 2 calls: SELECT pg_sleep($1)")
	run(t, decode(t, dsn, "slow_queries: {max_mean: 50ms, min_calls: 3}"), 10*time.Second).Want(t, "pass")
	r = run(t, decode(t, dsn, "slow_queries: {max_mean: 10s, top: 1}"), 10*time.Second)
	if n := len(r.Obs["slow_queries"].([]any)); n != 1 {
		t.Errorf("top 1 reported %d statements", n)
	}
	if r = run(t, decode(t, dsn, "slow_queries: {max_mean: 10s}"), 10*time.Second); len(r.Obs["slow_queries"].([]any)) < 2 {
		t.Errorf("default top reported %v", r.Obs["slow_queries"])
	}

	// Without the extension in the database: a clear error, not a pass.
	r = run(t, decode(t, pg.DSN("app"), "slow_queries: {max_mean: 50ms}"), 10*time.Second)
	r.Want(t, "error", "pg_stat_statements extension, which is not installed in database \"app\"")
	if r.Reason() != "unavailable" {
		t.Errorf("reason %q, want unavailable", r.Reason())
	}
}

func testErrors(t *testing.T, pg *testsvc.Postgres, certs testsvc.LoopbackCertFiles) {
	wrongPW := strings.Replace(pg.DSN("app"), secret, "wrong-"+secret[:4], 1)
	free := testsvc.FreePort(t)
	for _, c := range []struct {
		name, dsn, opts, reason string
		fragments               []string
	}{
		{"wrong password", wrongPW, "", checks.ReasonAuth, []string{"password authentication failed", "28P01"}},
		{"missing database", pg.DSN("no_such_db"), "", "database_missing", []string{`database "no_such_db" does not exist`}},
		{"refused", fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/app", secret, free), "", checks.ReasonConnectionRefused, []string{"127.0.0.1:" + fmt.Sprint(free)}},
		{"no socket", fmt.Sprintf("host=%s port=%d user=postgres password=%s dbname=app", t.TempDir(), free, secret), "", checks.ReasonConnectionRefused, []string{"socket"}},
		{"malformed dsn keeps the password", "postgres://postgres:" + secret + "@127.0.0.1:notaport/app", "", "", nil},
		{"malformed key=value keeps the password", "host=127.0.0.1 password='" + secret + " dbname=app", "", "", nil},
		{"malformed URL query keeps the password", "postgres://127.0.0.1/app?password=" + secret + "&sslmode=bogus", "", "", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := New()
			p.DSN = c.dsn
			if err := p.Validate(); err != nil {
				if c.reason != "" {
					t.Fatalf("validate: %v", err)
				}
				t.Logf("validate: %v", err)
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("password in validation error: %v", err)
				}
				var fe *checks.FieldError
				if !errors.As(err, &fe) || fe.Field != "dsn" {
					t.Errorf("validation error %v is not about field dsn", err)
				}
				return
			}
			r := run(t, p, 10*time.Second) // checks that the password is nowhere
			r.Want(t, "error", c.fragments...)
			if c.reason == "" {
				return // a DSN problem found only when connecting (e.g. a bad sslmode)
			}
			if r.Reason() != c.reason {
				t.Errorf("reason %q, want %q (%v)", r.Reason(), c.reason, r.Err)
			}
		})
	}
}

func testTLS(t *testing.T, pg *testsvc.Postgres, certs testsvc.LoopbackCertFiles) {
	other := testsvc.LoopbackCert(t, t.TempDir())
	dsn := pg.DSN("app") // sslmode=disable in the URL; the options override it
	r := run(t, decode(t, dsn, fmt.Sprintf("{sslmode: verify-full, sslrootcert: %q}", certs.CAFile)), 10*time.Second)
	r.Want(t, "pass")
	r = run(t, decode(t, dsn, fmt.Sprintf("{sslmode: verify-full, sslrootcert: %q}", other.CAFile)), 10*time.Second)
	r.Want(t, "error")
	if r.Reason() != checks.ReasonTLS {
		t.Errorf("wrong CA: reason %q, want tls (%v)", r.Reason(), r.Err)
	}
	// key=value syntax gets the same overrides.
	kv := fmt.Sprintf("host=localhost port=%d user=postgres password=%s dbname=app sslmode=disable", pg.Port, secret)
	run(t, decode(t, kv, fmt.Sprintf("{sslmode: verify-full, sslrootcert: '%s'}", certs.CAFile)), 10*time.Second).Want(t, "pass")
	r = run(t, decode(t, kv, fmt.Sprintf("{sslmode: verify-ca, sslrootcert: '%s'}", other.CAFile)), 10*time.Second)
	if r.Reason() != checks.ReasonTLS {
		t.Errorf("key=value wrong CA: reason %q, want tls (%v)", r.Reason(), r.Err)
	}
}

func testEnv(t *testing.T, pg *testsvc.Postgres) {
	// libpq's PG* variables fill what the DSN leaves out.
	t.Setenv("PGHOST", "127.0.0.1")
	t.Setenv("PGPORT", fmt.Sprint(pg.Port))
	t.Setenv("PGUSER", "postgres")
	t.Setenv("PGPASSWORD", secret)
	t.Setenv("PGDATABASE", "app")
	t.Setenv("PGSSLMODE", "disable")
	r := run(t, decode(t, "", ""), 10*time.Second)
	r.Want(t, "pass")
	if r.Obs["database"] != "app" {
		t.Errorf("database = %v", r.Obs["database"])
	}
	t.Setenv("PGPASSWORD", "nope")
	r = run(t, decode(t, "", ""), 10*time.Second)
	if r.Reason() != checks.ReasonAuth {
		t.Errorf("PGPASSWORD wrong: reason %q (%v)", r.Reason(), r.Err)
	}
}

func testReplica(t *testing.T, pg *testsvc.Postgres) {
	replica := testsvc.StartPostgresReplica(t, pg)
	dsn := replica.DSN("app")
	r := run(t, decode(t, dsn, "{expect_role: replica, max_replication_lag: 1m}"), 10*time.Second)
	r.Want(t, "pass")
	if r.Obs["in_recovery"] != true || r.Obs["role"] != "replica" {
		t.Errorf("in_recovery = %v", r.Obs["in_recovery"])
	}
	if _, ok := r.Obs["replication_lag"].(time.Duration); !ok {
		t.Errorf("replication_lag = %#v, want a duration", r.Obs["replication_lag"])
	}
	run(t, decode(t, dsn, "expect_role: primary"), 10*time.Second).Want(t, "fail", "server is a replica (in recovery), expected primary")
	run(t, decode(t, pg.DSN("app"), "max_replication_lag: 1m"), 10*time.Second).Want(t, "fail", "max_replication_lag applies to replicas")
	// Nothing was ever archived from the replica's point of view.
	run(t, decode(t, dsn, "max_archive_age: 1h"), 10*time.Second).Want(t, "fail", "no WAL segment has ever been archived")

	// Real lag: pause replay, keep writing on the primary.
	pg.Exec(t, "app", "INSERT INTO items (name) VALUES ('replayed')")
	testsvc.Eventually(t, 10*time.Second, "insert replayed", func() error {
		r := run(t, decode(t, roleDSN(t, replica, "app", "monitor", monitorPW), `query: {sql: "SELECT count(*) FROM items WHERE name = 'replayed'"}`), 5*time.Second)
		if r.Obs["value"] != 1 {
			return fmt.Errorf("value %v", r.Obs["value"])
		}
		return nil
	})
	replica.Exec(t, "postgres", "SELECT pg_wal_replay_pause()")
	defer replica.Exec(t, "postgres", "SELECT pg_wal_replay_resume()")
	pg.Exec(t, "app", "INSERT INTO items (name) VALUES ('not yet replayed')")
	testsvc.Eventually(t, 10*time.Second, "lag above 300ms", func() error {
		r := run(t, decode(t, dsn, ""), 5*time.Second)
		if d, _ := r.Obs["replication_lag"].(time.Duration); d < 300*time.Millisecond {
			return fmt.Errorf("replication_lag %v", r.Obs["replication_lag"])
		}
		return nil
	})
	run(t, decode(t, dsn, "max_replication_lag: 200ms"), 10*time.Second).Want(t, "fail", "above max_replication_lag 200ms")
	run(t, decode(t, dsn, "max_replication_lag: 1h"), 10*time.Second).Want(t, "pass")
}

// TestStoppedMidRun stops the server while a probe's query is running: the
// probe returns a classified error at once instead of hanging, and the next
// attempt is refused.
func TestStoppedMidRun(t *testing.T) {
	pg := testsvc.StartPostgres(t, testsvc.PostgresOptions{Password: secret, NoStatStatements: true})
	dsn := pg.DSN("postgres")

	// This server has no TLS: sslmode=require is a tls error.
	r := run(t, decode(t, dsn, "sslmode: require"), 10*time.Second)
	if r.Reason() != checks.ReasonTLS {
		t.Errorf("sslmode=require without server TLS: reason %q (%v)", r.Reason(), r.Err)
	}

	done := make(chan result, 1)
	go func() {
		p := New()
		p.DSN = dsn
		p.Query = &Query{SQL: "SELECT pg_sleep(20)"}
		p.AllowPrivileged = true
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		start := time.Now()
		obs, err := p.Run(ctx)
		done <- result{Obs: obs, Err: err, Elapsed: time.Since(start)}
	}()
	testsvc.Eventually(t, 10*time.Second, "probe query running", func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, pg.SocketDSN("postgres"))
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(20)%'").Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return errors.New("not yet")
		}
		return nil
	})
	pg.Stop(t)
	var res result
	select {
	case res = <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("probe still running 15s after the server stopped")
	}
	noSecret(t, res)
	res.Want(t, "error")
	if reason := res.Reason(); reason == checks.ReasonUnknown || reason == "" {
		t.Errorf("reason %q is not classified (%v)", reason, res.Err)
	}
	t.Logf("server stopped mid-query: reason %s after %s: %v", res.Reason(), res.Elapsed, res.Err)

	r = run(t, decode(t, dsn, ""), 10*time.Second)
	r.Want(t, "error")
	if r.Reason() != checks.ReasonConnectionRefused {
		t.Errorf("after stop: reason %q, want connection_refused (%v)", r.Reason(), r.Err)
	}
}

// TestTimeouts: connect_timeout limits a server that accepts and never
// answers, and the context bounds everything even when connect_timeout is
// long.
func TestTimeouts(t *testing.T) {
	addr := probetest.SilentServer(t)
	dsn := fmt.Sprintf("postgres://postgres:%s@%s/app?sslmode=disable", secret, addr)

	r := run(t, decode(t, dsn, "connect_timeout: 300ms"), 10*time.Second)
	r.Want(t, "error")
	if r.Reason() != checks.ReasonTimeout || r.Elapsed > 2*time.Second {
		t.Errorf("connect_timeout 300ms: reason %q after %s (%v)", r.Reason(), r.Elapsed, r.Err)
	}
	r = run(t, decode(t, dsn, "connect_timeout: 1m"), 400*time.Millisecond)
	r.Want(t, "error")
	if r.Reason() != checks.ReasonTimeout || r.Elapsed > 2*time.Second {
		t.Errorf("deadline 400ms: reason %q after %s (%v)", r.Reason(), r.Elapsed, r.Err)
	}
	if p := New(); p.ConnectTimeout != 5*time.Second {
		t.Errorf("default connect_timeout %s", p.ConnectTimeout)
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct{ opts, field string }{
		{"sslmode: sometimes", "sslmode"},
		{"expect_role: leader", "expect_role"},
		{"max_connections_used: 1.5", "max_connections_used"},
		{"migrations: {tool: alembic}", "migrations.tool"},
		{"migrations: {table: x}", "migrations.table"},
		{"migrations: {tool: goose, version: '1', min_version: '1'}", "migrations.min_version"},
		{"query: {sql: ' '}", "query.sql"},
		{"slow_queries: {top: 3}", "slow_queries.max_mean"},
	} {
		p := New()
		probetest.Decode(t, p, c.opts)
		err := p.Validate()
		var fe *checks.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%s: Validate() = %v, want a FieldError on %s", c.opts, err, c.field)
		}
	}
	for _, ok := range []string{"", "migrations: {}", "{sslmode: verify-full, sslrootcert: /nonexistent/ca.pem}", "migrations: {tool: flyway, table: history, min_version: '1.2'}", "query: {sql: SELECT 1}"} {
		p := New()
		if err := yaml.Unmarshal([]byte(ok), p); err != nil {
			t.Fatal(err)
		}
		p.DSN = "postgres://u@localhost/db"
		if err := p.Validate(); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}
