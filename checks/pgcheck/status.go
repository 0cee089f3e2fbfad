package pgcheck

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/readyctl/readyctl/checks"
)

// status is what one round trip tells about the server. Durations that
// cannot be measured are nil.
type status struct {
	latency          time.Duration
	versionNum       int
	version          string
	inRecovery       bool
	database, user   string
	maxConnections   int
	connections      int
	longestTxn       time.Duration
	replicationLag   *time.Duration
	lastArchivedAge  *time.Duration
	archivedCount    int64
	archiveFailed    int64
	archiveFailing   bool
	archiveMode      string
	walReceiverState *string
}

// statusSQL reads everything in one statement. Durations are float8
// seconds. pg_stat_activity only shows xact_start of other roles' sessions
// to roles with pg_read_all_stats; without it the longest transaction can
// be underestimated.
const statusSQL = `SELECT
  current_setting('server_version_num')::int,
  current_setting('server_version'),
  pg_is_in_recovery(),
  current_database()::text,
  current_user::text,
  current_setting('max_connections')::int,
  (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int,
  (SELECT coalesce(extract(epoch FROM max(clock_timestamp() - xact_start)), 0)::float8
     FROM pg_stat_activity
    WHERE xact_start IS NOT NULL AND pid <> pg_backend_pid() AND backend_type = 'client backend'),
  CASE
    WHEN NOT pg_is_in_recovery() THEN NULL
    WHEN (SELECT status FROM pg_stat_wal_receiver) = 'streaming'
         AND pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0::float8
    ELSE extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8
  END,
  (SELECT status::text FROM pg_stat_wal_receiver),
  (SELECT extract(epoch FROM clock_timestamp() - last_archived_time)::float8 FROM pg_stat_archiver),
  (SELECT archived_count FROM pg_stat_archiver),
  (SELECT failed_count FROM pg_stat_archiver),
  (SELECT coalesce(last_failed_time > coalesce(last_archived_time, '-infinity'), false) FROM pg_stat_archiver),
  current_setting('archive_mode')`

func readStatus(ctx context.Context, conn *pgx.Conn) (*status, error) {
	st := &status{}
	start := time.Now()
	if err := conn.Ping(ctx); err != nil {
		return nil, err
	}
	st.latency = time.Since(start)

	var longest float64
	var lag, archived *float64
	err := conn.QueryRow(ctx, statusSQL).Scan(
		&st.versionNum, &st.version, &st.inRecovery, &st.database, &st.user,
		&st.maxConnections, &st.connections, &longest, &lag, &st.walReceiverState,
		&archived, &st.archivedCount, &st.archiveFailed, &st.archiveFailing, &st.archiveMode)
	if err != nil {
		return nil, err
	}
	st.longestTxn = seconds(longest)
	if lag != nil {
		d := max(seconds(*lag), 0)
		st.replicationLag = &d
	}
	if archived != nil {
		d := max(seconds(*archived), 0)
		st.lastArchivedAge = &d
	}
	return st, nil
}

func (st *status) observe(obs checks.Observations) {
	obs["latency"] = st.latency
	obs["server_version"] = st.versionNum
	obs["version"] = st.version
	obs["in_recovery"] = st.inRecovery
	role := "primary"
	if st.inRecovery {
		role = "replica"
	}
	obs["role"] = role
	obs["database"] = st.database
	obs["user"] = st.user
	obs["connections"] = st.connections
	obs["max_connections"] = st.maxConnections
	obs["connections_used_ratio"] = float64(st.connections) / float64(max(st.maxConnections, 1))
	obs["longest_transaction"] = st.longestTxn
	obs["replication_lag"] = durOrNil(st.replicationLag)
	obs["last_archived_age"] = durOrNil(st.lastArchivedAge)
	obs["archived_count"] = st.archivedCount
	obs["archive_failed_count"] = st.archiveFailed
}

// checkStatus returns a message for every status option that is violated.
func (p *Probe) checkStatus(st *status) []string {
	var fails []string
	switch {
	case p.ExpectRole == "primary" && st.inRecovery:
		fails = append(fails, "server is a replica (in recovery), expected primary")
	case p.ExpectRole == "replica" && !st.inRecovery:
		fails = append(fails, "server is a primary (not in recovery), expected replica")
	}
	if p.MaxReplicationLag > 0 {
		switch {
		case !st.inRecovery:
			fails = append(fails, "max_replication_lag applies to replicas, but the server is a primary (not in recovery)")
		case st.replicationLag == nil:
			fails = append(fails, "replication lag cannot be measured: the replica is not streaming and has replayed no transaction since it started")
		case *st.replicationLag > p.MaxReplicationLag:
			fails = append(fails, fmt.Sprintf("replication lag %s is above max_replication_lag %s", fmtDur(*st.replicationLag), p.MaxReplicationLag))
		}
	}
	if p.MaxConnectionsUsed > 0 {
		ratio := float64(st.connections) / float64(max(st.maxConnections, 1))
		if ratio > p.MaxConnectionsUsed {
			fails = append(fails, fmt.Sprintf("%d of max_connections %d in use (%.2f) is above max_connections_used %.2f",
				st.connections, st.maxConnections, ratio, p.MaxConnectionsUsed))
		}
	}
	if p.MaxTransactionAge > 0 && st.longestTxn > p.MaxTransactionAge {
		fails = append(fails, fmt.Sprintf("a transaction has been open for %s, above max_transaction_age %s",
			fmtDur(st.longestTxn), p.MaxTransactionAge))
	}
	if p.MaxArchiveAge > 0 {
		switch {
		case st.lastArchivedAge == nil:
			fails = append(fails, fmt.Sprintf("no WAL segment has ever been archived (archive_mode %s, %d failed attempts): WAL backups are not flowing",
				st.archiveMode, st.archiveFailed))
		case *st.lastArchivedAge > p.MaxArchiveAge:
			fails = append(fails, fmt.Sprintf("the last WAL segment was archived %s ago, above max_archive_age %s",
				fmtDur(*st.lastArchivedAge), p.MaxArchiveAge))
		case st.archiveFailing:
			fails = append(fails, fmt.Sprintf("WAL archiving is failing: the latest attempt failed after the last success %s ago (%d failures)",
				fmtDur(*st.lastArchivedAge), st.archiveFailed))
		}
	}
	return fails
}

func seconds(f float64) time.Duration {
	return time.Duration(f * float64(time.Second)).Round(time.Microsecond)
}

func durOrNil(d *time.Duration) any {
	if d == nil {
		return nil
	}
	return *d
}

// fmtDur rounds a measured duration for a message.
func fmtDur(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return d.Round(time.Second).String()
	case d >= time.Millisecond:
		return d.Round(time.Millisecond).String()
	default:
		return d.Round(time.Microsecond).String()
	}
}
