// Package pgcheck is the `postgres` probe kind: it connects to a PostgreSQL
// server with pgx and reports its version, role, load, replication and WAL
// archiving state, the state of the schema migrations, and the result of a
// checklist query.
//
// It must never change the database it checks: every session it opens is
// read-only (default_transaction_read_only) with a statement_timeout inside
// the item's deadline; the checklist query must be one reading statement
// naming no side-effecting function (sqlguard.go, checked at load), runs
// only as a role that cannot run programs, write files or signal backends
// (role.go, unless allow_privileged), in a READ ONLY transaction that is
// always rolled back; what it reads is capped by max_bytes; and no SQL text
// is ever built from user input except identifiers quoted by
// pgx.Identifier.
package pgcheck

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/readyctl/readyctl/checks"
)

func init() {
	checks.Register(checks.Kind{
		Name:         "postgres",
		New:          func() checks.Probe { return New() },
		Summary:      "PostgreSQL: connection, role, replication lag, connections, WAL archiving, migrations, read-only queries",
		Example:      example,
		Observations: observations,
	})
}

const example = `- id: postgres-primary
  title: PostgreSQL database connection and migrations
  severity: critical
  timeout: 10s
  postgres:
    dsn: postgres://readyctl@db.internal:5432/app?sslmode=verify-full
    expect_role: primary
    max_connections_used: 0.8
    max_transaction_age: 5m
    migrations:
      tool: golang-migrate
      min_version: "42"
    query:
      sql: SELECT count(*) FROM pg_stat_activity WHERE state = 'active'
      max_duration: 500ms
    expect:
      - server_version >= 140000
      - value < 50
`

// Probe is the `postgres:` block of a checklist item.
type Probe struct {
	DSN            string        `yaml:"dsn" doc:"connection string: postgres:// URL or key=value pairs; empty parts come from the libpq PG* environment variables (PGHOST, PGPASSWORD, ...)"`
	ConnectTimeout time.Duration `yaml:"connect_timeout" doc:"limit for establishing the connection; a shorter connect_timeout in dsn or PGCONNECT_TIMEOUT wins, and the item timeout always bounds it"`
	SSLMode        string        `yaml:"sslmode" doc:"overrides sslmode of dsn: disable, allow, prefer, require, verify-ca or verify-full"`
	SSLRootCert    string        `yaml:"sslrootcert" doc:"PEM file of the CA certificates to verify the server with (overrides sslrootcert of dsn)"`

	ExpectRole         string        `yaml:"expect_role" doc:"primary or replica (a server in recovery); empty accepts either"`
	MaxReplicationLag  time.Duration `yaml:"max_replication_lag" doc:"on a replica: fail when replay is further behind than this (observation replication_lag)"`
	MaxConnectionsUsed float64       `yaml:"max_connections_used" doc:"fail when client backends / max_connections exceeds this ratio, 0..1 (observation connections_used_ratio)"`
	MaxTransactionAge  time.Duration `yaml:"max_transaction_age" doc:"fail when another session's transaction has been open longer (observation longest_transaction)"`
	MaxArchiveAge      time.Duration `yaml:"max_archive_age" doc:"fail when the last WAL segment archived (pg_stat_archiver) is older, or none ever was (observation last_archived_age)"`

	Migrations  *Migrations  `yaml:"migrations" doc:"check the schema migrations table of a migration tool"`
	Query       *Query       `yaml:"query" doc:"run one read-only SQL statement; observations rows, value, query_duration"`
	SlowQueries *SlowQueries `yaml:"slow_queries" doc:"fail on statements in pg_stat_statements whose mean time is too high"`

	MaxBytes        int64 `yaml:"max_bytes" doc:"most bytes of rows the probe reads (query rows and any single message from the server), default 1 MiB; more is an error with reason too_large"`
	AllowPrivileged bool  `yaml:"allow_privileged" doc:"run query with a superuser or a member of pg_execute_server_program, pg_write_server_files or pg_signal_backend; by default that is an error (reason unsafe_role): use a pg_monitor role"`
}

// Migrations is the `migrations:` block.
type Migrations struct {
	Tool       string `yaml:"tool" doc:"golang-migrate, goose, flyway, liquibase, rails, django, prisma, or auto (default): detect from the tables present"`
	Schema     string `yaml:"schema" doc:"schema of the migrations table; empty follows the search_path"`
	Table      string `yaml:"table" doc:"table name when not the tool's default (needs tool)"`
	Version    string `yaml:"version" doc:"the applied version must equal this (for django: app.name, compared with that app's latest)"`
	MinVersion string `yaml:"min_version" doc:"the applied version must be at least this (numeric parts compare as numbers)"`
}

// Query is the `query:` block.
type Query struct {
	SQL         string        `yaml:"sql" doc:"one SELECT, WITH, VALUES, TABLE or SHOW statement, run in a READ ONLY transaction that is rolled back; data-modifying statements and side-effecting functions (COPY, dblink, lo_*, pg_terminate_backend, nextval, ...) are refused when the checklist is loaded"`
	MaxDuration time.Duration `yaml:"max_duration" doc:"fail when the query (including reading its rows) takes longer"`
}

// SlowQueries is the `slow_queries:` block.
type SlowQueries struct {
	MaxMean  time.Duration `yaml:"max_mean" doc:"fail when a statement's mean execution time in pg_stat_statements exceeds this"`
	MinCalls int           `yaml:"min_calls" doc:"ignore statements called fewer times than this"`
	Top      int           `yaml:"top" doc:"how many of the slowest statements to report"`
}

// DefaultConnectTimeout bounds connection establishment when nothing
// shorter is configured.
const DefaultConnectTimeout = 5 * time.Second

// DefaultMaxBytes caps what the probe reads from the server: a query
// returning one 200 MB value must not take the run's memory and time.
const DefaultMaxBytes = 1 << 20

// New returns a probe with its defaults.
func New() *Probe {
	return &Probe{ConnectTimeout: DefaultConnectTimeout, MaxBytes: DefaultMaxBytes}
}

var sslModes = map[string]bool{"disable": true, "allow": true, "prefer": true, "require": true, "verify-ca": true, "verify-full": true}

// Validate checks the configuration without any I/O.
func (p *Probe) Validate() error {
	if p.ConnectTimeout < 0 {
		return checks.FieldErrorf("connect_timeout", "must not be negative")
	}
	if p.SSLMode != "" && !sslModes[p.SSLMode] {
		return checks.FieldErrorf("sslmode", "%q is not one of disable, allow, prefer, require, verify-ca, verify-full", p.SSLMode)
	}
	// Syntax only: with sslmode=disable pgx does not read certificate files,
	// which may exist only where the checklist runs.
	if _, err := pgx.ParseConfig(withParams(p.DSN, map[string]string{"sslmode": "disable"})); err != nil {
		return checks.FieldErrorf("dsn", "%s", safeParseError(err))
	}
	switch p.ExpectRole {
	case "", "primary", "replica":
	default:
		return checks.FieldErrorf("expect_role", "%q is neither primary nor replica", p.ExpectRole)
	}
	for field, d := range map[string]time.Duration{
		"max_replication_lag": p.MaxReplicationLag, "max_transaction_age": p.MaxTransactionAge, "max_archive_age": p.MaxArchiveAge,
	} {
		if d < 0 {
			return checks.FieldErrorf(field, "must not be negative")
		}
	}
	if p.MaxConnectionsUsed < 0 || p.MaxConnectionsUsed > 1 {
		return checks.FieldErrorf("max_connections_used", "%g is not a ratio between 0 and 1", p.MaxConnectionsUsed)
	}
	if m := p.Migrations; m != nil {
		auto := m.Tool == "" || m.Tool == "auto"
		if _, ok := lookupTool(m.Tool); !ok && !auto {
			return checks.FieldErrorf("migrations.tool", "%q is not one of auto, %s", m.Tool, strings.Join(toolNames(), ", "))
		}
		if m.Table != "" && auto {
			return checks.FieldErrorf("migrations.table", "a custom table needs migrations.tool")
		}
		if m.Version != "" && m.MinVersion != "" {
			return checks.FieldErrorf("migrations.min_version", "set version or min_version, not both")
		}
	}
	if q := p.Query; q != nil {
		if strings.TrimSpace(q.SQL) == "" {
			return checks.FieldErrorf("query.sql", "is required")
		}
		if q.MaxDuration < 0 {
			return checks.FieldErrorf("query.max_duration", "must not be negative")
		}
		if err := checkReadOnlySQL(q.SQL); err != nil {
			return checks.FieldErrorf("query.sql", "%v", err)
		}
	}
	if p.MaxBytes <= 0 {
		return checks.FieldErrorf("max_bytes", "must be positive")
	}
	if s := p.SlowQueries; s != nil {
		if s.MaxMean <= 0 {
			return checks.FieldErrorf("slow_queries.max_mean", "is required and must be positive")
		}
		if s.MinCalls < 0 {
			return checks.FieldErrorf("slow_queries.min_calls", "must not be negative")
		}
		if s.Top < 0 {
			return checks.FieldErrorf("slow_queries.top", "must not be negative")
		}
	}
	return nil
}

// Run connects, observes and checks. Failures of several sub-checks are
// reported together in one message.
func (p *Probe) Run(ctx context.Context) (checks.Observations, error) {
	obs := checks.Observations{}
	if p.Query != nil {
		// Validate refuses this already; a probe built without the
		// loader must not get past it either.
		if err := checkReadOnlySQL(p.Query.SQL); err != nil {
			return obs, checks.WithReason(checks.ReasonConfig, fmt.Errorf("query.sql: %w", err))
		}
	}
	cfg, err := p.config(sessionTimeout(ctx))
	if err != nil {
		return obs, fmt.Errorf("dsn: %s", safeParseError(err))
	}
	target := describe(cfg)

	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		what := "cannot connect"
		if ctx.Err() == nil && pgconn.Timeout(err) {
			what = fmt.Sprintf("no connection within connect_timeout %s", cfg.ConnectTimeout)
		}
		return obs, classify(target, what, err)
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()

	var fails []string
	st, err := readStatus(ctx, conn)
	if err != nil {
		return obs, classify(target, "status query failed", err)
	}
	st.observe(obs)
	fails = append(fails, p.checkStatus(st)...)

	if p.Migrations != nil {
		msgs, err := p.checkMigrations(ctx, conn, obs)
		if err != nil {
			return obs, classify(target, "reading migrations failed", err)
		}
		fails = append(fails, msgs...)
	}
	if p.Query != nil {
		if err := p.checkRole(ctx, conn); err != nil {
			return obs, classify(target, "checking the role failed", err)
		}
		msgs, err := p.runQuery(ctx, conn, obs)
		if err != nil {
			return obs, err
		}
		fails = append(fails, msgs...)
	}
	if p.SlowQueries != nil {
		msgs, err := p.checkSlowQueries(ctx, conn, st.versionNum, obs)
		if err != nil {
			return obs, classify(target, "reading pg_stat_statements failed", err)
		}
		fails = append(fails, msgs...)
	}
	if len(fails) > 0 {
		return obs, checks.Fail("", "%s", strings.Join(fails, "; "))
	}
	return obs, nil
}

var _ checks.Probe = (*Probe)(nil)
