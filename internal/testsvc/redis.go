package testsvc

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisOptions shape a test redis-server.
type RedisOptions struct {
	// Password sets requirepass (and masterauth of replicas of it).
	Password string
	// ReplicaOf makes the server a replica of another test server.
	ReplicaOf *Redis
	// TLS serves TLS only, with these certificates (needs a redis-server
	// built with TLS).
	TLS *LoopbackCertFiles
	// Dir is the working directory (RDB/AOF files); a new temp dir when
	// empty.
	Dir string
	// Args are extra command-line settings, e.g. "--maxmemory", "10mb".
	Args []string
	// NoWait returns as soon as the port accepts connections, even while
	// the server is still loading its dataset.
	NoWait bool
}

// Redis is a redis-server started for one test.
type Redis struct {
	Addr     string // 127.0.0.1:port
	Port     int
	Password string
	Dir      string
	TLS      *LoopbackCertFiles

	cmd     *exec.Cmd
	exited  chan struct{}
	logFile string
}

// StartRedis starts redis-server on a free loopback port with persistence
// off (unless Args turn it on) and stops it when the test ends.
func StartRedis(t TB, opts RedisOptions) *Redis {
	t.Helper()
	bin := Binary(t, "redis-server")
	dir := opts.Dir
	if dir == "" {
		dir = t.TempDir()
	}
	r := &Redis{Port: FreePort(t), Password: opts.Password, Dir: dir, TLS: opts.TLS,
		exited: make(chan struct{}), logFile: filepath.Join(dir, "redis.log")}
	r.Addr = fmt.Sprintf("127.0.0.1:%d", r.Port)
	args := []string{
		"--bind", "127.0.0.1", "--dir", dir, "--daemonize", "no", "--protected-mode", "no",
		"--save", "", "--appendonly", "no", "--logfile", r.logFile,
		"--repl-diskless-sync-delay", "0", // replicas sync at once
	}
	if opts.TLS != nil {
		args = append(args, "--port", "0", "--tls-port", strconv.Itoa(r.Port),
			"--tls-cert-file", opts.TLS.CertFile, "--tls-key-file", opts.TLS.KeyFile,
			"--tls-ca-cert-file", opts.TLS.CAFile, "--tls-auth-clients", "no")
	} else {
		args = append(args, "--port", strconv.Itoa(r.Port))
	}
	if opts.Password != "" {
		args = append(args, "--requirepass", opts.Password)
	}
	if m := opts.ReplicaOf; m != nil {
		host, port, _ := strings.Cut(m.Addr, ":")
		args = append(args, "--replicaof", host, port)
		if m.Password != "" {
			args = append(args, "--masterauth", m.Password)
		}
	}
	args = append(args, opts.Args...)
	r.cmd = exec.Command(bin, args...)
	r.cmd.Dir = dir
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	go func() { _ = r.cmd.Wait(); close(r.exited) }()
	t.Cleanup(func() { r.Kill(t) })

	Eventually(t, 15*time.Second, "redis-server on "+r.Addr, func() error {
		select {
		case <-r.exited:
			t.Fatalf("redis-server exited: %s", r.Log())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		c := r.Client(t)
		defer c.Close()
		err := c.Ping(ctx).Err()
		if opts.NoWait && redis.IsLoadingError(err) {
			return nil
		}
		return err
	})
	return r
}

// URL is the redis:// (or rediss://) URL of the server, with the password.
func (r *Redis) URL() string {
	u := url.URL{Scheme: "redis", Host: r.Addr, Path: "/0"}
	if r.TLS != nil {
		u.Scheme = "rediss"
	}
	if r.Password != "" {
		u.User = url.UserPassword("", r.Password)
	}
	return u.String()
}

// Client is an administrative client for fixtures (it may write).
func (r *Redis) Client(t TB) *redis.Client {
	t.Helper()
	opts := &redis.Options{Addr: r.Addr, Password: r.Password, Protocol: 2, MaxRetries: -1,
		DisableIdentity: true, DialerRetries: 1}
	if r.TLS != nil {
		pem, err := os.ReadFile(r.TLS.CAFile)
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		// The loopback pair doubles as a client certificate, for servers
		// started with --tls-auth-clients yes.
		cert, err := tls.LoadX509KeyPair(r.TLS.CertFile, r.TLS.KeyFile)
		if err != nil {
			t.Fatal(err)
		}
		opts.TLSConfig = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12,
			Certificates: []tls.Certificate{cert}}
	}
	return redis.NewClient(opts)
}

// Kill ends the server with SIGKILL, as a crash would, and waits for it.
// Safe to call twice.
func (r *Redis) Kill(t TB) {
	t.Helper()
	select {
	case <-r.exited:
		return
	default:
	}
	_ = r.cmd.Process.Kill()
	select {
	case <-r.exited:
	case <-time.After(10 * time.Second):
		t.Errorf("redis-server %s did not exit after SIGKILL", r.Addr)
	}
}

// Log returns the server log so far.
func (r *Redis) Log() string {
	b, _ := os.ReadFile(r.logFile)
	return string(b)
}
