package pgcheck

import "github.com/readyctl/readyctl/checks"

// observations are what `expect:` can use, type-checked at load.
var observations = []checks.Observation{
	{Name: "latency", Type: checks.TypeDuration, Doc: "round trip of a ping on the open connection", Key: true},
	{Name: "server_version", Type: checks.TypeInt, Doc: "server_version_num, e.g. 150004"},
	{Name: "version", Type: checks.TypeString, Doc: `server version text, e.g. "15.4"`},
	{Name: "in_recovery", Type: checks.TypeBool, Doc: "the server is a replica (pg_is_in_recovery())"},
	{Name: "role", Type: checks.TypeString, Doc: `"primary" or "replica"`, Key: true},
	{Name: "database", Type: checks.TypeString, Doc: "database connected to"},
	{Name: "user", Type: checks.TypeString, Doc: "user connected as"},
	{Name: "connections", Type: checks.TypeInt, Doc: "open connections (pg_stat_activity)"},
	{Name: "max_connections", Type: checks.TypeInt, Doc: "the server's max_connections"},
	{Name: "connections_used_ratio", Type: checks.TypeFloat, Doc: "connections / max_connections, 0..1", Key: true},
	{Name: "longest_transaction", Type: checks.TypeDuration, Doc: "age of the oldest open transaction", Key: true},
	{Name: "replication_lag", Type: checks.TypeDuration, Doc: "replay lag on a replica, nil on a primary", Key: true},
	{Name: "last_archived_age", Type: checks.TypeDuration, Doc: "time since the last WAL segment was archived, nil when none was"},
	{Name: "archived_count", Type: checks.TypeInt, Doc: "WAL segments archived (pg_stat_archiver)"},
	{Name: "archive_failed_count", Type: checks.TypeInt, Doc: "failed WAL archiving attempts (pg_stat_archiver)"},
	{Name: "migrations", Type: checks.TypeMap, Doc: "with migrations: the migration table's state"},
	{Name: "migrations.tool", Type: checks.TypeString, Doc: "migration tool read (or found by auto)"},
	{Name: "migrations.table", Type: checks.TypeString, Doc: "migration table read, nil when none was found"},
	{Name: "migrations.version", Type: checks.TypeString, Doc: "latest applied migration version", Key: true},
	{Name: "migrations.dirty", Type: checks.TypeBool, Doc: "a migration failed or is half-applied", Key: true},
	{Name: "migrations.failed", Type: checks.TypeList, Doc: "versions of failed migrations"},
	{Name: "migrations.apps", Type: checks.TypeMap, Doc: "django: latest migration per app"},
	{Name: "query_duration", Type: checks.TypeDuration, Doc: "with query: how long the query took", Key: true},
	{Name: "rows", Type: checks.TypeList, Doc: "with query: result rows, each a list of column values"},
	{Name: "columns", Type: checks.TypeList, Doc: "with query: column names"},
	{Name: "row_count", Type: checks.TypeInt, Doc: "with query: number of rows returned", Key: true},
	{Name: "value", Type: checks.TypeAny, Doc: "with query: first column of the first row, nil when no row", Key: true},
	{Name: "slow_queries", Type: checks.TypeList, Doc: "with slow_queries: the slowest statements ({query, calls, mean})"},
	{Name: "slowest_mean", Type: checks.TypeDuration, Doc: "with slow_queries: mean time of the slowest statement"},
}
