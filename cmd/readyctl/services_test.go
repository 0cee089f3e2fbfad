package main

import (
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/readyctl/readyctl/internal/testsvc"
)

// TestScriptsServices runs testdata/script/services/*.txtar against a real
// PostgreSQL, Redis and Pushgateway started for them (skipped, naming the
// binary, when one is not installed; a failure with
// READYCTL_REQUIRE_SERVICES=1).
func TestScriptsServices(t *testing.T) {
	pg := testsvc.StartPostgres(t, testsvc.PostgresOptions{Password: "pg-5ecret-pw"})
	pg.CreateDatabase(t, "app")
	pg.Exec(t, "app",
		`CREATE TABLE schema_migrations (version bigint PRIMARY KEY, dirty boolean NOT NULL)`,
		`INSERT INTO schema_migrations VALUES (20260101120000, false)`,
		`CREATE TABLE accounts (id int PRIMARY KEY, name text)`,
		`INSERT INTO accounts VALUES (1, 'a'), (2, 'b'), (3, 'c')`,
	)
	// The role the README recommends for checklist SQL: a superuser gets
	// reason unsafe_role.
	pg.Exec(t, "postgres", `CREATE ROLE monitor LOGIN PASSWORD 'mon-5ecret-pw'`, `GRANT pg_monitor TO monitor`)
	pg.Exec(t, "app", `GRANT SELECT ON accounts TO monitor`)
	pg.CreateDatabase(t, "broken")
	pg.Exec(t, "broken",
		`CREATE TABLE schema_migrations (version bigint PRIMARY KEY, dirty boolean NOT NULL)`,
		`INSERT INTO schema_migrations VALUES (20260102090000, true)`,
	)
	rd := testsvc.StartRedis(t, testsvc.RedisOptions{Password: "rd-5ecret-pw"})
	gw := testsvc.StartPushgateway(t, testsvc.PushgatewayOptions{})

	params := scriptParams("../../testdata/script/services", map[string]func(ts *testscript.TestScript, neg bool, args []string){"rc": cmdRC, "httpget": cmdHTTPGet})
	setup := params.Setup
	params.Setup = func(env *testscript.Env) error {
		env.Setenv("PG_ADDR", "127.0.0.1:"+strconv.Itoa(pg.Port))
		env.Setenv("PG_USER", pg.User)
		env.Setenv("PG_PASSWORD", pg.Password)
		env.Setenv("PG_MONITOR_PASSWORD", "mon-5ecret-pw")
		env.Setenv("REDIS_ADDR", rd.Addr)
		env.Setenv("REDIS_PASSWORD", rd.Password)
		env.Setenv("PUSHGATEWAY", gw.URL)
		return setup(env)
	}
	testscript.Run(t, params)
}

// httpget URL fetches URL and makes its body the stdout of the script.
func cmdHTTPGet(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: httpget URL")
	}
	resp, err := http.Get(args[0])
	if err != nil {
		ts.Fatalf("httpget: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	ts.Stdout().Write(body)
}
