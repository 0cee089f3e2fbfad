package testsvc

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgBinDirs are where distributions install the PostgreSQL server binaries
// (Debian/Ubuntu keep them off PATH).
var pgBinDirs = []string{"/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin", "/usr/local/pgsql/bin"}

// PostgresOptions shape a test PostgreSQL server.
type PostgresOptions struct {
	// Password of the superuser "postgres". TCP connections must present
	// it (scram-sha-256); the unix socket in the temp dir is trusted, which
	// is how fixtures are loaded.
	Password string
	// Settings are extra server settings, passed as -c name=value.
	Settings map[string]string
	// SSLCertFile and SSLKeyFile (PEM) turn on ssl; they are copied into
	// the data directory so the server user can read them.
	SSLCertFile, SSLKeyFile string
	// Archive turns on WAL archiving into Dir/archive.
	Archive bool
	// NoStatStatements leaves pg_stat_statements out of
	// shared_preload_libraries even when it is installed.
	NoStatStatements bool
}

// Postgres is a PostgreSQL server started for one test.
type Postgres struct {
	Dir       string // temp dir owned by the server user
	DataDir   string
	SocketDir string // unix socket directory, used for fixtures
	Port      int    // TCP port on 127.0.0.1
	User      string // superuser name
	Password  string
	// StatStatements reports whether pg_stat_statements was preloaded.
	StatStatements bool

	bin     string // directory of initdb, pg_ctl, ...
	owner   string // OS user the server runs as ("" = this process's user)
	uid     int
	gid     int
	logFile string
	opts    PostgresOptions
}

// StartPostgres runs initdb and starts a server on a free loopback port. As
// root it runs everything as the "postgres" OS user through runuser, in a
// temp dir chowned to it. The server is stopped and removed when the test
// ends. Missing binaries skip the test (or fail it under
// READYCTL_REQUIRE_SERVICES=1).
func StartPostgres(t TB, opts PostgresOptions) *Postgres {
	t.Helper()
	initdb := Binary(t, "initdb", pgBinDirs...)
	// A symlink on PATH (e.g. /usr/local/bin/initdb) leads to the directory
	// that also holds pg_ctl and pg_basebackup.
	if real, err := filepath.EvalSymlinks(initdb); err == nil {
		initdb = real
	}
	p := newPostgresDir(t, filepath.Dir(initdb), opts)

	args := []string{"-D", p.DataDir, "-U", p.User, "-N", "-E", "UTF8", "--locale=C", "--auth-local=trust"}
	if opts.Password != "" {
		pw := filepath.Join(p.Dir, "pwfile")
		if err := os.WriteFile(pw, []byte(opts.Password+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		p.chown(t, pw)
		args = append(args, "--pwfile="+pw, "--auth-host=scram-sha-256")
	} else {
		args = append(args, "--auth-host=trust")
	}
	if out, err := p.cmd("initdb", args...).CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	// Replication over the socket, for pg_basebackup replicas.
	p.appendFile(t, filepath.Join(p.DataDir, "pg_hba.conf"), "local replication all trust\n")
	if opts.SSLCertFile != "" {
		p.copyOwned(t, opts.SSLCertFile, filepath.Join(p.DataDir, "server.crt"))
		p.copyOwned(t, opts.SSLKeyFile, filepath.Join(p.DataDir, "server.key"))
		// hostssl and host both match TLS connections; keep scram/trust.
	}
	p.start(t)
	return p
}

// StartPostgresReplica takes a pg_basebackup of primary and starts it as a
// streaming replica on its own free port. It returns once the replica is in
// recovery and streaming.
func StartPostgresReplica(t TB, primary *Postgres) *Postgres {
	t.Helper()
	opts := primary.opts
	opts.Archive = false
	opts.SSLCertFile, opts.SSLKeyFile = "", ""
	r := newPostgresDir(t, primary.bin, opts)
	r.Password = primary.Password
	out, err := r.cmd("pg_basebackup", "-D", r.DataDir, "-h", primary.SocketDir,
		"-p", strconv.Itoa(primary.Port), "-U", primary.User, "-R", "-X", "stream", "-c", "fast").CombinedOutput()
	if err != nil {
		t.Fatalf("pg_basebackup: %v\n%s", err, out)
	}
	r.start(t)
	Eventually(t, 30*time.Second, "replica streaming", func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, r.SocketDSN("postgres"))
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		var status string
		err = conn.QueryRow(ctx, "SELECT coalesce((SELECT status FROM pg_stat_wal_receiver), 'none')").Scan(&status)
		if err == nil && status != "streaming" {
			err = fmt.Errorf("wal receiver status %q", status)
		}
		return err
	})
	return r
}

func newPostgresDir(t TB, bin string, opts PostgresOptions) *Postgres {
	t.Helper()
	dir, err := os.MkdirTemp("", "readyctl-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	p := &Postgres{
		Dir:       dir,
		DataDir:   filepath.Join(dir, "data"),
		SocketDir: filepath.Join(dir, "sock"),
		User:      "postgres",
		Password:  opts.Password,
		bin:       bin,
		uid:       -1,
		gid:       -1,
		logFile:   filepath.Join(dir, "postgres.log"),
		opts:      opts,
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root needs an OS user \"postgres\" to run PostgreSQL: %v", err)
		}
		p.owner = u.Username
		p.uid, _ = strconv.Atoi(u.Uid)
		p.gid, _ = strconv.Atoi(u.Gid)
	}
	for _, d := range []string{p.SocketDir, filepath.Join(dir, "archive")} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
		p.chown(t, d)
	}
	p.chown(t, dir)
	return p
}

func (p *Postgres) start(t TB) {
	t.Helper()
	p.Port = FreePort(t)
	settings := map[string]string{
		"listen_addresses":        "127.0.0.1",
		"port":                    strconv.Itoa(p.Port),
		"unix_socket_directories": p.SocketDir,
		"fsync":                   "off",
		"synchronous_commit":      "off",
		"full_page_writes":        "off",
		"max_connections":         "30",
		"shared_buffers":          "16MB",
		"max_wal_senders":         "4",
		"logging_collector":       "off",
	}
	if _, err := os.Stat(filepath.Join(p.pkgLibDir(), "pg_stat_statements.so")); err == nil && !p.opts.NoStatStatements {
		settings["shared_preload_libraries"] = "pg_stat_statements"
		p.StatStatements = true
	}
	if p.opts.SSLCertFile != "" {
		settings["ssl"] = "on"
		settings["ssl_cert_file"] = filepath.Join(p.DataDir, "server.crt")
		settings["ssl_key_file"] = filepath.Join(p.DataDir, "server.key")
	}
	if p.opts.Archive {
		settings["archive_mode"] = "on"
		settings["archive_command"] = "cp %p " + filepath.Join(p.Dir, "archive") + "/%f"
		settings["archive_timeout"] = "0"
	}
	for k, v := range p.opts.Settings {
		settings[k] = v
	}
	var conf strings.Builder
	for k, v := range settings {
		fmt.Fprintf(&conf, "%s = '%s'\n", k, strings.ReplaceAll(v, "'", "''"))
	}
	p.appendFile(t, filepath.Join(p.DataDir, "postgresql.auto.conf"), conf.String())

	out, err := p.cmd("pg_ctl", "-D", p.DataDir, "-l", p.logFile, "-w", "-t", "60", "start").CombinedOutput()
	if err != nil {
		log, _ := os.ReadFile(p.logFile)
		t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	t.Cleanup(func() { p.stop("immediate") })
}

func (p *Postgres) pkgLibDir() string {
	out, err := exec.Command(filepath.Join(p.bin, "pg_config"), "--pkglibdir").Output()
	if err != nil {
		return filepath.Join(filepath.Dir(p.bin), "lib")
	}
	return strings.TrimSpace(string(out))
}

// Stop shuts the server down (fast mode: sessions are terminated) and
// waits until it is gone. Safe to call twice.
func (p *Postgres) Stop(t TB) {
	t.Helper()
	if out, err := p.stop("fast"); err != nil && !strings.Contains(out, "Is server running?") {
		t.Fatalf("pg_ctl stop: %v\n%s", err, out)
	}
}

func (p *Postgres) stop(mode string) (string, error) {
	out, err := p.cmd("pg_ctl", "-D", p.DataDir, "-m", mode, "-w", "-t", "30", "stop").CombinedOutput()
	return string(out), err
}

// Log returns the server log so far, for failure messages.
func (p *Postgres) Log() string {
	b, _ := os.ReadFile(p.logFile)
	return string(b)
}

// DSN is a TCP postgres:// URL for db, with the password when there is one.
func (p *Postgres) DSN(db string) string {
	u := url.URL{Scheme: "postgres", Host: fmt.Sprintf("127.0.0.1:%d", p.Port), Path: "/" + db}
	if p.Password != "" {
		u.User = url.UserPassword(p.User, p.Password)
	} else {
		u.User = url.User(p.User)
	}
	u.RawQuery = "sslmode=disable"
	return u.String()
}

// SocketDSN is a key=value DSN over the trusted unix socket, for fixtures.
func (p *Postgres) SocketDSN(db string) string {
	return fmt.Sprintf("host=%s port=%d user=%s dbname=%s sslmode=disable", p.SocketDir, p.Port, p.User, db)
}

// Exec runs statements as the superuser in db over the socket, failing the
// test on error. Fixtures only: probes must never write.
func (p *Postgres) Exec(t TB, db string, sqls ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.SocketDSN(db))
	if err != nil {
		t.Fatalf("connect to %s for fixtures: %v", db, err)
	}
	defer conn.Close(ctx)
	for _, s := range sqls {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatalf("fixture %q: %v", s, err)
		}
	}
}

// CreateDatabase creates an empty database.
func (p *Postgres) CreateDatabase(t TB, name string) {
	t.Helper()
	p.Exec(t, "postgres", "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
}

func (p *Postgres) cmd(name string, args ...string) *exec.Cmd {
	path := filepath.Join(p.bin, name)
	var c *exec.Cmd
	if p.owner != "" {
		c = exec.Command("runuser", append([]string{"-u", p.owner, "--", path}, args...)...)
	} else {
		c = exec.Command(path, args...)
	}
	c.Dir = p.Dir
	// The caller's libpq variables must not redirect the fixtures.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			c.Env = append(c.Env, kv)
		}
	}
	return c
}

func (p *Postgres) chown(t TB, path string) {
	t.Helper()
	if p.owner == "" {
		return
	}
	if err := os.Chown(path, p.uid, p.gid); err != nil {
		t.Fatalf("chown %s: %v", path, err)
	}
}

func (p *Postgres) copyOwned(t TB, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
	p.chown(t, dst)
}

func (p *Postgres) appendFile(t TB, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}
