package pgcheck

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/readyctl/readyctl/internal/testsvc"
)

// migrationFixtures creates one schema per tool and state in database
// "mig": each tool's real table layout, healthy and broken.
func migrationFixtures(t *testing.T, pg *testsvc.Postgres) {
	t.Helper()
	pg.CreateDatabase(t, "mig")
	golang := func(s string) string {
		return fmt.Sprintf(`CREATE TABLE %s.schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)`, s)
	}
	goose := func(s string) string {
		return fmt.Sprintf(`CREATE TABLE %s.goose_db_version (id serial PRIMARY KEY, version_id bigint NOT NULL,
			is_applied boolean NOT NULL, tstamp timestamp DEFAULT now())`, s)
	}
	flyway := func(s string) string {
		return fmt.Sprintf(`CREATE TABLE %s.flyway_schema_history (installed_rank int PRIMARY KEY, version varchar(50),
			description varchar(200) NOT NULL, type varchar(20) NOT NULL, script varchar(1000) NOT NULL, checksum int,
			installed_by varchar(100) NOT NULL, installed_on timestamp NOT NULL DEFAULT now(),
			execution_time int NOT NULL, success boolean NOT NULL)`, s)
	}
	liquibase := func(s string) string {
		return fmt.Sprintf(`CREATE TABLE %[1]s.databasechangelog (id varchar(255) NOT NULL, author varchar(255) NOT NULL,
			filename varchar(255) NOT NULL, dateexecuted timestamp NOT NULL, orderexecuted int NOT NULL,
			exectype varchar(10) NOT NULL, md5sum varchar(35), description varchar(255), comments varchar(255),
			tag varchar(255), liquibase varchar(20), contexts varchar(255), labels varchar(255), deployment_id varchar(10));
			CREATE TABLE %[1]s.databasechangeloglock (id int PRIMARY KEY, locked boolean NOT NULL,
			lockgranted timestamp, lockedby varchar(255))`, s)
	}
	rails := func(s string) string {
		return fmt.Sprintf(`CREATE TABLE %[1]s.schema_migrations (version varchar NOT NULL PRIMARY KEY);
			CREATE TABLE %[1]s.ar_internal_metadata (key varchar PRIMARY KEY, value varchar,
			created_at timestamp NOT NULL, updated_at timestamp NOT NULL)`, s)
	}
	django := func(s string) string {
		return fmt.Sprintf(`CREATE TABLE %s.django_migrations (id bigserial PRIMARY KEY, app varchar(255) NOT NULL,
			name varchar(255) NOT NULL, applied timestamptz NOT NULL)`, s)
	}
	prisma := func(s string) string {
		return fmt.Sprintf(`CREATE TABLE %s._prisma_migrations (id varchar(36) PRIMARY KEY, checksum varchar(64) NOT NULL,
			finished_at timestamptz, migration_name varchar(255) NOT NULL, logs text, rolled_back_at timestamptz,
			started_at timestamptz NOT NULL DEFAULT now(), applied_steps_count int NOT NULL DEFAULT 0)`, s)
	}
	liquibaseRows := `INSERT INTO %s.databasechangelog (id, author, filename, dateexecuted, orderexecuted, exectype) VALUES
		('create-users', 'alice', 'db/changelog.xml', now(), 1, 'EXECUTED'),
		('add-email', 'bob', 'db/changelog.xml', now(), 2, 'EXECUTED')`
	prismaRows := `INSERT INTO %s._prisma_migrations (id, checksum, finished_at, migration_name, started_at, rolled_back_at) VALUES
		('a', 'c1', now(), '20240101000000_init', now() - interval '3 min', NULL),
		('b', 'c2', now(), '20240201000000_add_users', now() - interval '2 min', NULL),
		('c', 'c3', NULL, '20240215000000_bad_try', now() - interval '90 s', now())`

	var sqls []string
	add := func(schema string, stmts ...string) {
		sqls = append(sqls, "CREATE SCHEMA "+schema)
		for _, s := range stmts {
			if s != "" {
				sqls = append(sqls, strings.ReplaceAll(s, "%s", schema))
			}
		}
	}
	add("golang_ok", golang("%s"), `INSERT INTO %s.schema_migrations VALUES (12, false)`)
	add("golang_dirty", golang("%s"), `INSERT INTO %s.schema_migrations VALUES (13, true)`)
	add("golang_empty", golang("%s"))
	add("golang_custom", `CREATE TABLE %s.app_migrations (version bigint NOT NULL, dirty boolean NOT NULL)`,
		`INSERT INTO %s.app_migrations VALUES (7, false)`)
	add("goose_ok", goose("%s"), `INSERT INTO %s.goose_db_version (version_id, is_applied) VALUES
		(0, true), (20240101, true), (20240202, true), (20240303, true), (20240303, false)`)
	add("goose_none", goose("%s"), `INSERT INTO %s.goose_db_version (version_id, is_applied) VALUES (0, true)`)
	add("flyway_ok", flyway("%s"), `INSERT INTO %s.flyway_schema_history VALUES
		(0, NULL, '<< Flyway Schema Creation >>', 'SCHEMA', '"public"', NULL, 'app', now(), 0, true),
		(1, '1', 'init', 'SQL', 'V1__init.sql', 1, 'app', now(), 5, true),
		(2, '1.10', 'add index', 'SQL', 'V1_10__add_index.sql', 2, 'app', now(), 5, true),
		(3, '1.9', 'out of order', 'SQL', 'V1_9__out_of_order.sql', 3, 'app', now(), 5, true),
		(4, NULL, 'views', 'SQL', 'R__views.sql', 4, 'app', now(), 5, true)`)
	add("flyway_failed", flyway("%s"), `INSERT INTO %s.flyway_schema_history VALUES
		(1, '1', 'init', 'SQL', 'V1__init.sql', 1, 'app', now(), 5, true),
		(2, '2', 'add orders column', 'SQL', 'V2__add_orders_column.sql', 2, 'app', now(), 5, false)`)
	add("liquibase_ok", liquibase("%s"), liquibaseRows, `INSERT INTO %s.databasechangeloglock VALUES (1, false, NULL, NULL)`)
	add("liquibase_locked", liquibase("%s"), liquibaseRows,
		`INSERT INTO %s.databasechangeloglock VALUES (1, true, now() - interval '2 hours', 'deploy-7f9c (10.0.0.5)')`)
	add("rails_ok", rails("%s"), `INSERT INTO %s.schema_migrations VALUES ('20231201093000'), ('20240315120000'), ('20240105080000')`)
	add("rails_empty", rails("%s"))
	add("django_ok", django("%s"), `INSERT INTO %s.django_migrations (app, name, applied) VALUES
		('contenttypes', '0001_initial', now() - interval '3 day'),
		('orders', '0001_initial', now() - interval '2 day'),
		('orders', '0002_add_total', now() - interval '1 day'),
		('auth', '0012_alter_user_first_name_max_length', now())`)
	add("django_empty", django("%s"))
	add("prisma_ok", prisma("%s"), prismaRows)
	add("prisma_failed", prisma("%s"), prismaRows, `INSERT INTO %s._prisma_migrations (id, checksum, migration_name, started_at)
		VALUES ('d', 'c4', '20240301000000_add_orders', now())`)
	add("nothing")
	add("two_tools", goose("%s"), flyway("%s"))
	add(`"Odd ""Schema"""`, golang("%s"), `INSERT INTO %s.schema_migrations VALUES (3, false)`)
	pg.Exec(t, "mig", sqls...)
}

func testMigrations(t *testing.T, pg *testsvc.Postgres) {
	dsn := pg.DSN("mig")
	cases := []struct {
		name      string
		opts      string
		status    string
		tool      string
		version   string
		dirty     bool
		fragments []string
	}{
		{name: "golang-migrate healthy", opts: "{tool: golang-migrate, schema: golang_ok}", status: "pass", tool: "golang-migrate", version: "12"},
		{name: "golang-migrate version equal", opts: "{tool: golang-migrate, schema: golang_ok, version: '12'}", status: "pass", version: "12"},
		{name: "golang-migrate version differs", opts: "{tool: golang-migrate, schema: golang_ok, version: '13'}", status: "fail",
			version: "12", fragments: []string{"migration version is 12, expected version 13"}},
		{name: "golang-migrate min_version met", opts: "{tool: golang-migrate, schema: golang_ok, min_version: '9'}", status: "pass", version: "12"},
		{name: "golang-migrate min_version not met", opts: "{tool: golang-migrate, schema: golang_ok, min_version: 100}", status: "fail",
			fragments: []string{"migration version 12 is below min_version 100"}},
		{name: "golang-migrate dirty", opts: "{tool: golang-migrate, schema: golang_dirty}", status: "fail", version: "13", dirty: true,
			fragments: []string{"golang-migrate migration 13 is dirty"}},
		{name: "golang-migrate empty", opts: "{tool: golang-migrate, schema: golang_empty}", status: "fail",
			fragments: []string{"no migrations were applied", "golang_empty.schema_migrations is empty"}},
		{name: "golang-migrate missing table", opts: "{tool: golang-migrate, schema: nothing}", status: "fail",
			fragments: []string{"no migrations were applied", `table "schema_migrations" does not exist in schema "nothing"`}},
		{name: "golang-migrate custom table", opts: "{tool: golang-migrate, schema: golang_custom, table: app_migrations}", status: "pass", version: "7"},
		{name: "golang-migrate custom table ignored without table", opts: "{tool: golang-migrate, schema: golang_custom}", status: "fail",
			fragments: []string{"no migrations were applied"}},
		{name: "golang-migrate on a rails table", opts: "{tool: golang-migrate, schema: rails_ok}", status: "fail",
			fragments: []string{"no dirty column", "set tool: rails"}},
		{name: "quoted schema name", opts: `{tool: golang-migrate, schema: 'Odd "Schema"'}`, status: "pass", version: "3"},
		{name: "injection in schema name finds nothing", opts: `{tool: golang-migrate, schema: "golang_ok\".schema_migrations; DROP TABLE x; --"}`, status: "fail",
			fragments: []string{"no migrations were applied"}},

		{name: "goose healthy", opts: "{tool: goose, schema: goose_ok}", status: "pass", tool: "goose", version: "20240202"},
		{name: "goose behind", opts: "{tool: goose, schema: goose_ok, version: '20240303'}", status: "fail",
			fragments: []string{"migration version is 20240202, expected version 20240303"}},
		{name: "goose nothing applied", opts: "{tool: goose, schema: goose_none}", status: "fail",
			fragments: []string{"no migrations were applied", "goose_none.goose_db_version is empty"}},

		{name: "flyway healthy", opts: "{tool: flyway, schema: flyway_ok, min_version: '1.9'}", status: "pass", tool: "flyway", version: "1.10"},
		{name: "flyway failed", opts: "{tool: flyway, schema: flyway_failed}", status: "fail", version: "1", dirty: true,
			fragments: []string{"flyway migration 2 (add orders column) failed"}},

		{name: "liquibase healthy", opts: "{tool: liquibase, schema: liquibase_ok, version: add-email}", status: "pass", tool: "liquibase", version: "add-email"},
		{name: "liquibase lock held", opts: "{tool: liquibase, schema: liquibase_locked}", status: "fail", version: "add-email", dirty: true,
			fragments: []string{"liquibase lock liquibase_locked.databasechangeloglock is held by deploy-7f9c (10.0.0.5) since"}},

		{name: "rails healthy", opts: "{tool: rails, schema: rails_ok, min_version: '20240101000000'}", status: "pass", tool: "rails", version: "20240315120000"},
		{name: "rails behind", opts: "{tool: rails, schema: rails_ok, min_version: '20250101000000'}", status: "fail",
			fragments: []string{"migration version 20240315120000 is below min_version 20250101000000"}},
		{name: "rails empty", opts: "{tool: rails, schema: rails_empty}", status: "fail", fragments: []string{"no migrations were applied"}},

		{name: "django healthy", opts: "{tool: django, schema: django_ok}", status: "pass", tool: "django", version: "auth.0012_alter_user_first_name_max_length"},
		{name: "django app version", opts: "{tool: django, schema: django_ok, version: orders.0002_add_total}", status: "pass"},
		{name: "django app version by number", opts: "{tool: django, schema: django_ok, version: orders.0002}", status: "pass"},
		{name: "django app behind", opts: "{tool: django, schema: django_ok, min_version: orders.0003}", status: "fail",
			fragments: []string{"django app orders migration 0002_add_total is below min_version 0003"}},
		{name: "django app missing", opts: "{tool: django, schema: django_ok, min_version: billing.0001}", status: "fail",
			fragments: []string{"no migration of django app billing is applied"}},
		{name: "django empty", opts: "{tool: django, schema: django_empty}", status: "fail", fragments: []string{"no migrations were applied"}},

		{name: "prisma healthy", opts: "{tool: prisma, schema: prisma_ok}", status: "pass", tool: "prisma", version: "20240201000000_add_users"},
		{name: "prisma failed", opts: "{tool: prisma, schema: prisma_failed}", status: "fail", version: "20240201000000_add_users", dirty: true,
			fragments: []string{"prisma migration 20240301000000_add_orders failed"}},

		{name: "auto golang-migrate", opts: "{schema: golang_dirty}", status: "fail", tool: "golang-migrate", version: "13", dirty: true,
			fragments: []string{"migration 13 is dirty"}},
		{name: "auto goose", opts: "{tool: auto, schema: goose_ok}", status: "pass", tool: "goose", version: "20240202"},
		{name: "auto flyway", opts: "{tool: auto, schema: flyway_failed}", status: "fail", tool: "flyway", dirty: true},
		{name: "auto liquibase", opts: "{tool: auto, schema: liquibase_ok}", status: "pass", tool: "liquibase", version: "add-email"},
		{name: "auto rails", opts: "{tool: auto, schema: rails_ok}", status: "pass", tool: "rails", version: "20240315120000"},
		{name: "auto django", opts: "{tool: auto, schema: django_ok}", status: "pass", tool: "django"},
		{name: "auto prisma", opts: "{tool: auto, schema: prisma_failed}", status: "fail", tool: "prisma", dirty: true},
		{name: "auto nothing", opts: "{schema: nothing}", status: "fail",
			fragments: []string{"no migrations were applied: none of the migration tables (schema_migrations, goose_db_version, flyway_schema_history, databasechangelog, django_migrations, _prisma_migrations) exists in schema \"nothing\""}},
		{name: "auto two tools", opts: "{schema: two_tools}", status: "fail",
			fragments: []string{"found tables of several tools: goose (two_tools.goose_db_version), flyway (two_tools.flyway_schema_history)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := decode(t, dsn, "migrations: "+c.opts)
			r := run(t, p, 10*time.Second)
			r.Want(t, c.status, c.fragments...)
			m, ok := r.Obs["migrations"].(map[string]any)
			if !ok {
				t.Fatalf("migrations observation is %T, want map[string]any", r.Obs["migrations"])
			}
			if c.tool != "" && m["tool"] != c.tool {
				t.Errorf("migrations.tool = %v, want %s", m["tool"], c.tool)
			}
			if c.version != "" && m["version"] != c.version {
				t.Errorf("migrations.version = %#v, want %q", m["version"], c.version)
			}
			if _, isString := m["version"].(string); !isString {
				t.Errorf("migrations.version is %T, want string", m["version"])
			}
			if m["dirty"] != c.dirty {
				t.Errorf("migrations.dirty = %v, want %v", m["dirty"], c.dirty)
			}
		})
	}

	// Without a schema the table is found along the search_path.
	t.Run("search_path", func(t *testing.T) {
		r := run(t, decode(t, pg.DSN("app"), "migrations: {}"), 10*time.Second)
		r.Want(t, "pass")
		m := r.Obs["migrations"].(map[string]any)
		if m["tool"] != "golang-migrate" || m["version"] != "42" || m["table"] != "public.schema_migrations" {
			t.Errorf("migrations = %v", m)
		}
	})
}

func TestCompareVersions(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"10", "9", 1}, {"007", "7", 0}, {"1.10", "1.9", 1}, {"1.2", "1.2.1", -1},
		{"20240315120000", "20231201093000", 1}, {"0012_add", "0012", 1}, {"", "1", -1},
		{"20240201000000_add_users", "20240101000000_init", 1}, {"abc", "abd", -1},
	} {
		if got := compareVersions(c.a, c.b); got != c.want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
