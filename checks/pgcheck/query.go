package pgcheck

import (
	"context"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/readyctl/readyctl/checks"
)

// maxRows caps the rows kept as observations; row_count counts them all
// (up to max_bytes of rows).
const maxRows = 1000

// Bytes a row and a value take on the wire besides the value itself.
const (
	rowOverhead   = 7
	valueOverhead = 4
)

// runQuery runs the checklist query in a READ ONLY transaction that is
// always rolled back, so even a statement that slips past read-only mode
// leaves nothing behind.
func (p *Probe) runQuery(ctx context.Context, conn *pgx.Conn, obs checks.Observations) ([]string, error) {
	q := p.Query
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, classify(describe(conn.Config()), "cannot begin a read-only transaction", err)
	}
	defer func() {
		rbCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = tx.Rollback(rbCtx)
	}()

	// Cancelled when the result is too large: closing the rows would
	// otherwise read the rest of an endless result.
	qctx, cancelQuery := context.WithCancel(ctx)
	defer cancelQuery()
	start := time.Now()
	rows, err := tx.Query(qctx, q.SQL)
	var out []any
	var columns []any
	count := 0
	var read int64
	tooLarge := false
	if err == nil {
		for _, f := range rows.FieldDescriptions() {
			columns = append(columns, f.Name)
		}
		for rows.Next() {
			count++
			// Every row counts, kept or not, with its framing: a billion
			// empty rows are as unbounded as one huge value.
			read += rowOverhead
			for _, v := range rows.RawValues() {
				read += int64(len(v)) + valueOverhead
			}
			if read > p.maxBytes() {
				tooLarge = true
				cancelQuery()
				break
			}
			if count > maxRows {
				continue
			}
			vals, verr := rows.Values()
			if verr != nil {
				err = verr
				break
			}
			row := make([]any, len(vals))
			for i, v := range vals {
				row[i] = normalize(v)
			}
			out = append(out, row)
		}
		rows.Close()
		if err == nil {
			err = rows.Err()
		}
	}
	elapsed := time.Since(start)
	obs["query_duration"] = elapsed
	if tooLarge {
		return nil, p.tooLarge(fmt.Sprintf("the query result (%d rows read so far)", count))
	}
	if err != nil {
		var big *pgproto3.ExceededMaxBodyLenErr
		if errors.As(err, &big) {
			return nil, p.tooLarge(fmt.Sprintf("a row of %d bytes", big.ActualBodyLen))
		}
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "25006" {
			return []string{fmt.Sprintf("query tried to write (%s): readyctl runs every query read-only, nothing was changed", pe.Message)}, nil
		}
		if errors.As(err, &pe) && pe.Code != "57014" && !strings.HasPrefix(pe.Code, "08") && !strings.HasPrefix(pe.Code, "57P") {
			return nil, checks.WithReason("query", &pgErr{
				msg: fmt.Sprintf("query failed: %s (SQLSTATE %s)", pe.Message, pe.Code), err: err})
		}
		return nil, classify(describe(conn.Config()), "query failed", err)
	}
	if out == nil {
		out = []any{}
	}
	obs["rows"] = out
	obs["columns"] = columns
	obs["row_count"] = count
	var value any
	if len(out) > 0 {
		if first := out[0].([]any); len(first) > 0 {
			value = first[0]
		}
	}
	obs["value"] = value
	if q.MaxDuration > 0 && elapsed > q.MaxDuration {
		return []string{fmt.Sprintf("query took %s, above max_duration %s", fmtDur(elapsed), q.MaxDuration)}, nil
	}
	return nil, nil
}

// normalize turns a pgx value into one that expressions and JSON handle:
// integers become int, decimals float64, bytes and UUIDs strings, intervals
// durations.
func normalize(v any) any {
	switch x := v.(type) {
	case nil, bool, string, float64, time.Time, time.Duration:
		return x
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return checks.Normalize(checks.TypeInt, x)
	case float32:
		return checks.Normalize(checks.TypeFloat, x)
	case []byte:
		if utf8.Valid(x) {
			return string(x)
		}
		return `\x` + hex.EncodeToString(x)
	case [16]byte:
		return fmt.Sprintf("%x-%x-%x-%x-%x", x[0:4], x[4:6], x[6:8], x[8:10], x[10:16])
	case pgtype.Numeric:
		if !x.Valid {
			return nil
		}
		f, err := x.Float64Value()
		if err != nil || !f.Valid || math.IsInf(f.Float64, 0) || math.IsNaN(f.Float64) {
			b, _ := x.MarshalJSON()
			return string(b)
		}
		if f.Float64 == math.Trunc(f.Float64) && math.Abs(f.Float64) < 1<<53 && x.Exp >= 0 {
			return int(f.Float64)
		}
		return f.Float64
	case pgtype.Interval:
		if !x.Valid {
			return nil
		}
		return time.Duration(x.Months)*30*24*time.Hour + time.Duration(x.Days)*24*time.Hour + time.Duration(x.Microseconds)*time.Microsecond
	case netip.Prefix:
		return x.String()
	case netip.Addr:
		return x.String()
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	case driver.Valuer:
		dv, err := x.Value()
		if err != nil {
			return fmt.Sprint(v)
		}
		if _, again := dv.(driver.Valuer); again {
			return fmt.Sprint(dv)
		}
		return normalize(dv)
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

// checkSlowQueries reads pg_stat_statements of the current database.
func (p *Probe) checkSlowQueries(ctx context.Context, conn *pgx.Conn, versionNum int, obs checks.Observations) ([]string, error) {
	s := p.SlowQueries
	var schema string
	err := conn.QueryRow(ctx, `SELECT n.nspname::text FROM pg_extension e
		JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_stat_statements'`).Scan(&schema)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, checks.WithReason("unavailable", fmt.Errorf(
			"slow_queries needs the pg_stat_statements extension, which is not installed in database %q: add it to shared_preload_libraries and run CREATE EXTENSION pg_stat_statements",
			conn.Config().Database))
	}
	if err != nil {
		return nil, err
	}
	meanCol := "mean_exec_time"
	if versionNum < 130000 {
		meanCol = "mean_time" // before PostgreSQL 13
	}
	top := s.Top
	if top == 0 {
		top = 5
	}
	rows, err := conn.Query(ctx, `SELECT query, calls, `+meanCol+`::float8 FROM `+pgx.Identifier{schema, "pg_stat_statements"}.Sanitize()+`
		WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
		  AND calls >= $1
		ORDER BY `+meanCol+` DESC LIMIT $2`, max(s.MinCalls, 1), top)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var worst []any
	var slow []string
	var slowest time.Duration
	for rows.Next() {
		var text string
		var calls int64
		var meanMS float64
		if err := rows.Scan(&text, &calls, &meanMS); err != nil {
			return nil, err
		}
		mean := time.Duration(meanMS * float64(time.Millisecond)).Round(time.Microsecond)
		slowest = max(slowest, mean)
		text = shorten(text, 200)
		worst = append(worst, map[string]any{"query": text, "calls": int(calls), "mean": mean})
		if mean > s.MaxMean {
			slow = append(slow, fmt.Sprintf("%s mean over %d calls: %s", fmtDur(mean), calls, text))
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if worst == nil {
		worst = []any{}
	}
	obs["slow_queries"] = worst
	obs["slowest_mean"] = slowest
	if len(slow) > 0 {
		verb := "statements have"
		if len(slow) == 1 {
			verb = "statement has"
		}
		return []string{fmt.Sprintf("%d %s a mean time above max_mean %s: %s", len(slow), verb, s.MaxMean, strings.Join(slow, " | "))}, nil
	}
	return nil, nil
}

// shorten collapses whitespace and cuts a statement for a message.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
