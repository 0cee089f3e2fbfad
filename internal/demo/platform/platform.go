// Package platform starts, on loopback only, a reference platform shaped
// like the seed's (shared/seed/production-deployment-checklist.md): auth,
// core, MCP server, analytics and API gateway stand-ins, a Grafana
// stand-in, a TLS front (nginx) on a CA generated for the run, a
// node_exporter-like scrape target, and the real PostgreSQL (primary and
// streaming replica), Redis, Prometheus and Pushgateway started from their
// binaries by internal/testsvc. `readyctl demo` checks the repository's
// checklist.yaml against it; the e2e test does the same for every fault.
//
// Everything listens on 127.0.0.1 on free ports, lives in one temporary
// directory, and is stopped by Close.
package platform

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/readyctl/readyctl/internal/testsvc"
)

// What the platform runs, so the checklist can pin it (--var release=...,
// --var migration_version=...).
const (
	Release          = "1.4.2"
	MigrationVersion = "20261101120000"
	// AppOrigin is the web app's origin, allowed by the gateway's CORS.
	AppOrigin = "https://app.example.com"
)

// Options shape one platform.
type Options struct {
	// Fault is one of Faults by name, or "" for a healthy platform.
	Fault string
	// Logf receives progress lines (nil: silent).
	Logf func(format string, args ...any)
}

// Missing is a server that could not be started because its binary is not
// installed; the items of these probe kinds cannot be checked.
type Missing struct {
	Service string
	Kinds   []string
	Message string // from testsvc, naming the binary
	Install string // the command that installs it
}

// Platform is a running reference platform.
type Platform struct {
	// Vars point the checklist's variables at the platform.
	Vars map[string]string
	// Env is the environment the checklist's ${env:...} references read:
	// the credentials, masked as secrets in every output.
	Env map[string]string
	// Missing lists what could not be started.
	Missing []Missing
	// PushgatewayURL is where the run's metrics can be pushed ("" when
	// the Pushgateway is missing).
	PushgatewayURL string
	// Dir holds the platform's files (CA, certificates, server data).
	Dir string

	fault  string
	logf   func(string, ...any)
	jwtKey []byte
	store  *store
	// stop is closed first by Close: handlers that hold a connection
	// open (a stalled stream) let go of it, so shutdown does not wait.
	stop     chan struct{}
	stopOnce sync.Once

	mu       sync.Mutex
	cleanups []func()
}

// Start starts the platform; on error everything started is stopped.
func Start(ctx context.Context, o Options) (_ *Platform, err error) {
	if o.Fault != "" {
		if _, err := LookupFault(o.Fault); err != nil {
			return nil, err
		}
	}
	dir, err := os.MkdirTemp("", "readyctl-demo-")
	if err != nil {
		return nil, err
	}
	p := newPlatform(o, dir)
	p.cleanup(func() { _ = os.RemoveAll(dir) })
	defer func() {
		if err != nil {
			p.Close()
		}
	}()
	if err := p.startServices(); err != nil {
		return nil, err
	}
	var wg sync.WaitGroup
	var errMu sync.Mutex
	var errs []error
	for _, s := range []struct {
		name, binary, install string
		kinds                 []string
		start                 func(tb *svcTB)
	}{
		{"PostgreSQL", "initdb", "apt-get install postgresql", []string{"postgres"}, p.startPostgres},
		{"Redis", "redis-server", "apt-get install redis-server", []string{"redis"}, p.startRedis},
		// The exec items run promtool on the Prometheus configuration.
		{"Prometheus", "prometheus", "apt-get install prometheus prometheus-pushgateway", []string{"prometheus", "exec"}, p.startPrometheus},
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			skip, err := p.try(s.name, s.start)
			errMu.Lock()
			defer errMu.Unlock()
			switch {
			case skip != "":
				p.Missing = append(p.Missing, Missing{Service: s.name, Kinds: s.kinds, Message: skip, Install: s.install})
			case err != nil:
				errs = append(errs, fmt.Errorf("starting %s: %w", s.name, err))
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := p.writeEvidence(ctx); err != nil {
		return nil, fmt.Errorf("writing the demo's test and scan reports: %w", err)
	}
	return p, nil
}

// newPlatform is a platform with nothing started yet.
func newPlatform(o Options, dir string) *Platform {
	p := &Platform{Vars: map[string]string{}, Env: map[string]string{}, Dir: dir, fault: o.Fault, logf: o.Logf, jwtKey: make([]byte, 32),
		store: newStore(), stop: make(chan struct{})}
	if p.logf == nil {
		p.logf = func(string, ...any) {}
	}
	_, _ = rand.Read(p.jwtKey)
	return p
}

// Unavailable says why items of this probe kind cannot be checked here.
func (p *Platform) Unavailable(kind string) (string, bool) {
	for _, m := range p.Missing {
		for _, k := range m.Kinds {
			if k == kind {
				return fmt.Sprintf("the demo could not start %s: %s (install: %s)", m.Service, m.Message, m.Install), true
			}
		}
	}
	return "", false
}

// Close stops everything, newest first. Safe to call twice.
func (p *Platform) Close() {
	p.stopOnce.Do(func() { close(p.stop) })
	p.mu.Lock()
	cs := p.cleanups
	p.cleanups = nil
	p.mu.Unlock()
	for i := len(cs) - 1; i >= 0; i-- {
		cs[i]()
	}
}

func (p *Platform) cleanup(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cleanups = append(p.cleanups, f)
}

// svcTB lets internal/testsvc start servers for the demo: a Fatal or Skip
// unwinds the starter with a panic that try turns into an error or a skip.
type svcTB struct {
	p    *Platform
	name string
}

type tbFatal struct{ msg string }
type tbSkip struct{ msg string }

func (t *svcTB) Helper()                           {}
func (t *svcTB) Cleanup(f func())                  { t.p.cleanup(f) }
func (t *svcTB) Errorf(format string, args ...any) { t.p.logf(t.name+": "+format, args...) }
func (t *svcTB) Failed() bool                      { return false }
func (t *svcTB) Fatal(args ...any)                 { panic(tbFatal{fmt.Sprint(args...)}) }
func (t *svcTB) Fatalf(format string, args ...any) { panic(tbFatal{fmt.Sprintf(format, args...)}) }
func (t *svcTB) Logf(format string, args ...any)   {}
func (t *svcTB) Skipf(format string, args ...any)  { panic(tbSkip{fmt.Sprintf(format, args...)}) }
func (t *svcTB) TempDir() string {
	d, err := os.MkdirTemp(t.p.Dir, strings.ToLower(t.name)+"-")
	if err != nil {
		t.Fatalf("temp dir: %v", err)
	}
	return d
}

func (p *Platform) try(name string, start func(*svcTB)) (skip string, err error) {
	defer func() {
		switch v := recover().(type) {
		case nil:
		case tbSkip:
			skip = strings.TrimSuffix(v.msg, ": install it to run this test")
		case tbFatal:
			err = errors.New(v.msg)
		default:
			err = fmt.Errorf("panic: %v\n%s", v, debug.Stack())
		}
	}()
	t0 := time.Now()
	start(&svcTB{p: p, name: name})
	p.logf("demo: %s ready in %s", name, time.Since(t0).Round(100*time.Millisecond))
	return "", nil
}

// startServices starts the Go stand-ins and the TLS front.
func (p *Platform) startServices() error {
	backends := map[string]string{}
	for _, s := range []struct {
		name string
		mux  func() any
	}{
		{"auth", func() any { return p.authMux() }},
		{"core", func() any { return p.coreMux() }},
		{"mcp", func() any { return p.mcpMux() }},
		{"analytics", func() any { return p.analyticsMux() }},
		{"grafana", func() any { return p.grafanaMux() }},
	} {
		addr, err := p.serve(s.name, s.mux().(httpHandler), nil)
		if err != nil {
			return err
		}
		p.Vars[s.name] = "http://" + addr
		if s.name != "grafana" {
			backends[s.name] = "http://" + addr
		}
	}
	addr, err := p.serve("gateway", p.gatewayMux(backends), nil)
	if err != nil {
		return err
	}
	p.Vars["gateway"] = "http://" + addr

	certs, err := writeCerts(p.Dir, p.fault == "cert-expiring")
	if err != nil {
		return err
	}
	tlsAddr, err := p.serve("front", p.frontMux(), certs.config)
	if err != nil {
		return err
	}
	_, tlsPort, _ := net.SplitHostPort(tlsAddr)
	site := "https://localhost:" + tlsPort
	plainAddr, err := p.serve("front-http", redirectTo(site), nil)
	if err != nil {
		return err
	}
	_, plainPort, _ := net.SplitHostPort(plainAddr)
	p.Vars["server_name"] = "localhost"
	if err := p.startDNS(p.Vars["server_name"]); err != nil {
		return err
	}
	p.Vars["site"] = site
	p.Vars["site_http"] = "http://localhost:" + plainPort
	p.Vars["tls_host"] = "localhost:" + tlsPort
	p.Vars["ca_file"] = certs.caFile
	// Ports nothing listens on: the firewall items want them closed.
	p.Vars["firewall_db"] = "127.0.0.1:" + p.closedPort()
	p.Vars["firewall_redis"] = "127.0.0.1:" + p.closedPort()
	p.Vars["origin"] = AppOrigin
	p.Vars["release"] = Release
	p.Vars["migration_version"] = MigrationVersion
	// Short load and windows: the demo should take seconds, not minutes.
	p.Vars["load_duration"] = "2s"
	p.Vars["peak_duration"] = "2s"
	p.Vars["rate_limit_window"] = "2s"
	p.Vars["max_replication_lag"] = "1s"
	return nil
}

// closedPort is a loopback port that refuses connections for the
// platform's whole life: a socket bound to it that never listens. A port
// merely found free and released could be taken by anything started
// meanwhile (another platform, a test), and then accept.
func (p *Platform) closedPort() string {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		return "1"
	}
	syscall.CloseOnExec(fd)
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		syscall.Close(fd)
		return "1"
	}
	sa, err := syscall.Getsockname(fd)
	in4, ok := sa.(*syscall.SockaddrInet4)
	if err != nil || !ok {
		syscall.Close(fd)
		return "1"
	}
	p.cleanup(func() { syscall.Close(fd) })
	return strconv.Itoa(in4.Port)
}

func (p *Platform) startPostgres(t *svcTB) {
	pg := testsvc.StartPostgres(t, testsvc.PostgresOptions{Password: "demo-superuser-" + newID(), Archive: true})
	pg.CreateDatabase(t, "app")
	dirty := "false"
	if p.fault == "migration-dirty" {
		dirty = "true"
	}
	readerPW := "demo-reader-" + newID()
	stmts := []string{
		`CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)`,
		fmt.Sprintf(`INSERT INTO schema_migrations VALUES (%s, %s)`, MigrationVersion, dirty),
		`CREATE TABLE users (id serial PRIMARY KEY, email text UNIQUE NOT NULL, created timestamptz NOT NULL DEFAULT now())`,
		`CREATE TABLE credits (user_id int REFERENCES users, balance int NOT NULL)`,
		`CREATE TABLE events (id bigserial PRIMARY KEY, user_id int, kind text, at timestamptz NOT NULL DEFAULT now())`,
		`INSERT INTO users (email) SELECT 'user' || i || '@example.com' FROM generate_series(1, 200) i`,
		`INSERT INTO credits SELECT id, 100 FROM users`,
		`INSERT INTO events (user_id, kind) SELECT 1 + i % 200, 'completion' FROM generate_series(1, 2000) i`,
		// A read-only monitoring role for readyctl, as in production.
		fmt.Sprintf(`CREATE ROLE readyctl LOGIN PASSWORD '%s'`, readerPW),
		`GRANT pg_monitor TO readyctl`,
		`GRANT SELECT ON ALL TABLES IN SCHEMA public TO readyctl`,
	}
	if pg.StatStatements {
		stmts = append([]string{`CREATE EXTENSION pg_stat_statements`}, stmts...)
	}
	for i := 0; i < 20; i++ { // application traffic: cheap, repeated queries
		stmts = append(stmts, `SELECT balance FROM credits WHERE user_id = 7`, `SELECT count(*) FROM events WHERE user_id = 7`)
	}
	pg.Exec(t, "app", stmts...)
	// A fresh archived WAL segment, as continuous archiving keeps one.
	pg.Exec(t, "app", `SELECT pg_switch_wal()`)
	testsvc.Eventually(t, 20*time.Second, "WAL archived", func() error {
		return queryTrue(pg.SocketDSN("app"), `SELECT last_archived_time IS NOT NULL FROM pg_stat_archiver`)
	})
	dsn := func(port int) string {
		u := url.URL{Scheme: "postgres", User: url.UserPassword("readyctl", readerPW), Host: fmt.Sprintf("127.0.0.1:%d", port), Path: "/app", RawQuery: "sslmode=disable"}
		return u.String()
	}
	p.mu.Lock()
	p.Env["DATABASE_URL"] = dsn(pg.Port)
	p.mu.Unlock()

	replica := testsvc.StartPostgresReplica(t, pg)
	// A commit replayed on the replica, so its lag can be measured.
	pg.Exec(t, "app", `INSERT INTO events (user_id, kind) VALUES (1, 'replica-check')`)
	testsvc.Eventually(t, 20*time.Second, "replica caught up", func() error {
		return queryTrue(replica.SocketDSN("app"), `SELECT pg_last_xact_replay_timestamp() IS NOT NULL AND pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()`)
	})
	if p.fault == "replica-lagging" {
		replayed := time.Now()
		replica.Exec(t, "app", `SELECT pg_wal_replay_pause()`)
		pg.Exec(t, "app", `INSERT INTO events (user_id, kind) VALUES (1, 'not-replayed')`)
		testsvc.Eventually(t, 20*time.Second, "replica receiving but not replaying", func() error {
			return queryTrue(replica.SocketDSN("app"), `SELECT pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()`)
		})
		// Behind by more than max_replication_lag (1s) when checked.
		time.Sleep(time.Until(replayed.Add(1500 * time.Millisecond)))
	}
	p.mu.Lock()
	p.Env["REPLICA_DATABASE_URL"] = dsn(replica.Port)
	p.mu.Unlock()
}

func queryTrue(dsn, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var ok bool
	if err := conn.QueryRow(ctx, sql).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("not yet: %s", sql)
	}
	return nil
}

func (p *Platform) startRedis(t *svcTB) {
	r := testsvc.StartRedis(t, testsvc.RedisOptions{Password: "demo-redis-" + newID()})
	c := r.Client(t)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Cache traffic: 90 hits and 10 misses, a 0.9 hit ratio.
	for i := 0; i < 10; i++ {
		key := fmt.Sprintf("session:%d", i)
		if err := c.Set(ctx, key, "cached", time.Hour).Err(); err != nil {
			t.Fatalf("redis fixture: %v", err)
		}
		for j := 0; j < 9; j++ {
			_ = c.Get(ctx, key).Err()
		}
		_ = c.Get(ctx, fmt.Sprintf("missing:%d", i)).Err()
	}
	p.mu.Lock()
	p.Env["REDIS_URL"] = r.URL()
	p.mu.Unlock()
	if p.fault == "redis-down" {
		r.Kill(t)
	}
}

const rules = `groups:
- name: gateway
  rules:
  - record: gateway:error_ratio:rate5m
    expr: (sum(rate(http_requests_total{code=~"5.."}[5m])) or vector(0)) / sum(rate(http_requests_total[5m]))
  - alert: GatewayErrorRateHigh
    expr: gateway:error_ratio:rate5m > 0.05
    for: 5m
    labels: {severity: page}
    annotations: {summary: "More than 5% of gateway requests fail"}
`

func (p *Platform) startPrometheus(t *svcTB) {
	jobs := map[string][]string{}
	node, nodeTick := nodeMetrics()
	jobs["node"] = []string{testsvc.ServeMetrics(t, node, nodeTick)}
	gw, gwTick := p.gatewayMetrics()
	jobs["gateway"] = []string{testsvc.ServeMetrics(t, gw, gwTick)}
	var pushURL string
	func() {
		defer func() {
			switch v := recover().(type) {
			case nil:
			case tbSkip:
				p.mu.Lock()
				p.Missing = append(p.Missing, Missing{Service: "Pushgateway", Message: v.msg, Install: "apt-get install prometheus-pushgateway"})
				p.mu.Unlock()
			default:
				panic(v)
			}
		}()
		// Not a scrape target: the demo's run pushes to it, and a
		// dashboard would read it from there.
		g := testsvc.StartPushgateway(t, testsvc.PushgatewayOptions{})
		pushURL = g.URL
	}()
	prom := testsvc.StartPrometheus(t, testsvc.PrometheusOptions{ScrapeJobs: jobs, Rules: rules})
	prom.WaitRulesEvaluated(t)
	// The files the exec items check: the configuration this Prometheus
	// runs, and a unit test of its rules next to them.
	rulesTestFile := filepath.Join(prom.Dir, "rules_test.yml")
	if err := os.WriteFile(rulesTestFile, []byte(rulesTest), 0o644); err != nil {
		t.Fatalf("rules test: %v", err)
	}
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if bin, err := exec.LookPath("prometheus"); err == nil {
			if c := filepath.Join(filepath.Dir(bin), "promtool"); fileExists(c) {
				promtool = c
			}
		}
	}
	if promtool == "" {
		p.mu.Lock()
		p.Missing = append(p.Missing, Missing{Service: "promtool", Kinds: []string{"exec"},
			Message: "promtool not found on PATH nor next to prometheus", Install: "apt-get install prometheus"})
		p.mu.Unlock()
	}
	// Rates need two samples: wait for them rather than let the first
	// items see an empty range.
	testsvc.Eventually(t, 30*time.Second, "two scrapes of every target", func() error {
		for _, q := range []string{`sum(rate(node_cpu_seconds_total[5m]))`, `sum(rate(http_requests_total[5m]))`} {
			var res struct {
				Result []any `json:"result"`
			}
			if err := prom.GetJSON("/api/v1/query?query="+url.QueryEscape(q), &res); err != nil {
				return err
			}
			if len(res.Result) == 0 {
				return fmt.Errorf("%s: no data yet", q)
			}
		}
		return nil
	})
	p.mu.Lock()
	p.Vars["prometheus"] = prom.URL
	p.Vars["promtool"] = promtool
	p.Vars["prometheus_config"] = filepath.Join(prom.Dir, "prometheus.yml")
	p.Vars["alert_rules_test"] = rulesTestFile
	p.PushgatewayURL = pushURL
	p.mu.Unlock()
}

func fileExists(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}
