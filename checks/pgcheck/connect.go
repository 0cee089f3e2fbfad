package pgcheck

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/readyctl/readyctl/checks"
)

// defaultSessionTimeout bounds statements when the context has no deadline
// (the runner always sets one; this is a safety net, never "unlimited").
const defaultSessionTimeout = 30 * time.Second

// sessionTimeout is the statement_timeout for a session opened under ctx:
// a little inside the deadline, so that the server cancels a long
// statement itself and says so, before the client gives up on it.
func sessionTimeout(ctx context.Context) time.Duration {
	dl, ok := ctx.Deadline()
	if !ok {
		return defaultSessionTimeout
	}
	left := time.Until(dl)
	d := left * 9 / 10
	if left-d > 250*time.Millisecond {
		d = left - 250*time.Millisecond
	}
	if d < time.Millisecond {
		d = time.Millisecond
	}
	return d
}

// config parses the DSN with the probe's overrides and pins the session to
// read-only with the given statement timeout.
func (p *Probe) config(stmtTimeout time.Duration) (*pgx.ConnConfig, error) {
	params := map[string]string{}
	if p.SSLMode != "" {
		params["sslmode"] = p.SSLMode
	}
	if p.SSLRootCert != "" {
		params["sslrootcert"] = p.SSLRootCert
	}
	cfg, err := pgx.ParseConfig(withParams(p.DSN, params))
	if err != nil {
		return nil, err
	}
	if p.ConnectTimeout > 0 && (cfg.ConnectTimeout == 0 || p.ConnectTimeout < cfg.ConnectTimeout) {
		cfg.ConnectTimeout = p.ConnectTimeout
	}
	ms := strconv.FormatInt(max(stmtTimeout.Milliseconds(), 1), 10)
	// Set in the startup packet, after the DSN's own options, so that no
	// dsn can turn them off.
	cfg.RuntimeParams["default_transaction_read_only"] = "on"
	cfg.RuntimeParams["statement_timeout"] = ms
	cfg.RuntimeParams["lock_timeout"] = ms
	cfg.RuntimeParams["idle_in_transaction_session_timeout"] = ms
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "readyctl"
	}
	// Unnamed statements only: works through PgBouncer and never leaves
	// prepared statements behind.
	cfg.DefaultQueryExecMode = pgx.QueryExecModeDescribeExec
	// pgx would allocate any message the server announces, up to 1 GiB,
	// before the probe sees a byte of it: no single message may exceed
	// the read cap (with room for the probe's own status rows).
	maxBody := int(max(p.maxBytes(), minMessageCap) + messageOverhead)
	cfg.BuildFrontend = func(r io.Reader, w io.Writer) *pgproto3.Frontend {
		f := pgproto3.NewFrontend(r, w)
		f.SetMaxBodyLen(maxBody)
		return f
	}
	return cfg, nil
}

const (
	// minMessageCap keeps the probe's own queries (status, migrations,
	// pg_stat_statements) working under a tiny max_bytes.
	minMessageCap = 64 << 10
	// messageOverhead is a DataRow's framing around the values.
	messageOverhead = 4 << 10
)

func (p *Probe) maxBytes() int64 {
	if p.MaxBytes > 0 {
		return p.MaxBytes
	}
	return DefaultMaxBytes
}

// tooLarge is the error of a result above the read cap.
func (p *Probe) tooLarge(what string) error {
	return checks.WithReason(checks.ReasonTooLarge, fmt.Errorf("%s is larger than max_bytes %d (%s): select fewer or smaller values, or raise max_bytes",
		what, p.maxBytes(), fmtBytes(p.maxBytes())))
}

func fmtBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// withParams adds libpq parameters to a DSN, in its own syntax. Later
// occurrences win in both syntaxes, so these override the DSN's.
func withParams(dsn string, params map[string]string) string {
	if len(params) == 0 {
		return dsn
	}
	keys := slices.Sorted(maps.Keys(params))
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		var b strings.Builder
		b.WriteString(dsn)
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		for _, k := range keys {
			b.WriteString(sep + k + "=" + percentEncode(params[k]))
			sep = "&"
		}
		return b.String()
	}
	var b strings.Builder
	b.WriteString(dsn)
	for _, k := range keys {
		v := strings.ReplaceAll(params[k], `\`, `\\`)
		v = strings.ReplaceAll(v, `'`, `\'`)
		fmt.Fprintf(&b, " %s='%s'", k, v)
	}
	return b.String()
}

func percentEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~/", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// safeParseError describes a DSN parse error without the DSN itself, which
// may hold a password in a form the parser could not recognise.
func safeParseError(err error) string {
	var pce *pgconn.ParseConfigError
	if errors.As(err, &pce) {
		full := pce.Error()
		// "cannot parse `DSN`: reason": keep the reason only.
		if i := strings.LastIndex(full, "`: "); i >= 0 {
			return "cannot parse the connection string: " + full[i+3:]
		}
		return "cannot parse the connection string"
	}
	return err.Error()
}

// describe names the target for messages: host, port, database and user,
// never the password.
func describe(cfg *pgx.ConnConfig) string {
	host := cfg.Host
	if strings.HasPrefix(host, "/") {
		host = "socket " + host
	} else {
		host = net.JoinHostPort(host, strconv.Itoa(int(cfg.Port)))
	}
	return fmt.Sprintf("postgres %s database %q as %q", host, cfg.Database, cfg.User)
}

// pgErr is an error with a clean message that keeps the cause for
// classification.
type pgErr struct {
	msg string
	err error
}

func (e *pgErr) Error() string { return e.msg }
func (e *pgErr) Unwrap() error { return e.err }

// classify turns a pgx error into a message a person acts on, with a reason
// code for the cases checks.Classify cannot recognise by itself.
func classify(target, what string, err error) error {
	var re *checks.ReasonError
	if errors.As(err, &re) {
		return err // already explained and classified
	}
	var big *pgproto3.ExceededMaxBodyLenErr
	if errors.As(err, &big) {
		return checks.WithReason(checks.ReasonTooLarge, &pgErr{
			msg: fmt.Sprintf("%s: %s: the server sent a message of %d bytes, above the read cap of %d bytes (max_bytes)", target, what, big.ActualBodyLen, big.MaxExpectedBodyLen),
			err: err})
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		e := &pgErr{msg: fmt.Sprintf("%s: %s: %s (SQLSTATE %s)", target, what, pe.Message, pe.Code), err: err}
		switch {
		case pe.Code == "28P01" || pe.Code == "28000":
			return checks.WithReason(checks.ReasonAuth, e)
		case pe.Code == "3D000":
			return checks.WithReason("database_missing", e)
		case pe.Code == "57P01" || pe.Code == "57P02":
			return checks.WithReason("shutdown", e)
		case pe.Code == "57P03":
			return checks.WithReason("unavailable", e)
		case pe.Code == "53300":
			return checks.WithReason("too_many_connections", e)
		case pe.Code == "57014":
			return checks.WithReason(checks.ReasonTimeout, &pgErr{msg: e.msg + ": statement_timeout is set inside the item timeout", err: err})
		case pe.Code == "42501":
			return checks.WithReason("permission", e)
		case pe.Code == "55000" && strings.Contains(pe.Message, "pg_stat_statements"):
			return checks.WithReason("unavailable", e)
		}
		return e
	}
	msg := fmt.Sprintf("%s: %s: %s", target, what, causeText(err))
	e := &pgErr{msg: msg, err: err}
	switch {
	case errors.Is(err, syscall.ENOENT):
		// A unix socket that does not exist: nothing is listening.
		return checks.WithReason(checks.ReasonConnectionRefused, e)
	case strings.Contains(err.Error(), "server refused TLS connection"),
		strings.Contains(err.Error(), "tls error"):
		return checks.WithReason(checks.ReasonTLS, e)
	case errors.Is(err, context.DeadlineExceeded):
		return checks.WithReason(checks.ReasonTimeout, e)
	}
	if checks.Classify(err) == checks.ReasonUnknown && pgconn.Timeout(err) {
		return checks.WithReason(checks.ReasonTimeout, e)
	}
	return e
}

// causeText drops pgx's "failed to connect to `user=... database=...`:"
// prefix, which repeats what the target description already says.
func causeText(err error) string {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		if inner := ce.Unwrap(); inner != nil {
			return inner.Error()
		}
	}
	return err.Error()
}
