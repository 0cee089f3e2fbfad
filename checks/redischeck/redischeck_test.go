package redischeck

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/probetest"
	"github.com/readyctl/readyctl/internal/testsvc"
)

func admin(t *testing.T, r *testsvc.Redis) (*redis.Client, context.Context) {
	t.Helper()
	c := r.Client(t)
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c, ctx
}

// TestRedis shares a password-protected master with maxmemory and its
// replica between subtests; the last subtest kills the master.
func TestRedis(t *testing.T) {
	master := testsvc.StartRedis(t, testsvc.RedisOptions{Password: secret, Args: []string{"--maxmemory", "64mb"}})
	replica := testsvc.StartRedis(t, testsvc.RedisOptions{Password: secret, ReplicaOf: master})
	open := testsvc.StartRedis(t, testsvc.RedisOptions{})

	t.Run("observations", func(t *testing.T) {
		c, ctx := admin(t, master)
		c.ConfigResetStat(ctx)
		r := run(t, decode(t, master.URL(), ""), 5*time.Second)
		r.Want(t, "pass")
		if d, ok := r.Obs["latency"].(time.Duration); !ok || d <= 0 {
			t.Errorf("latency = %#v", r.Obs["latency"])
		}
		if r.Obs["role"] != "master" || r.Obs["master_link_status"] != nil || r.Obs["loading"] != false {
			t.Errorf("role %v, master_link_status %v, loading %v", r.Obs["role"], r.Obs["master_link_status"], r.Obs["loading"])
		}
		if r.Obs["hit_ratio"] != nil {
			t.Errorf("hit_ratio without traffic = %v, want nil", r.Obs["hit_ratio"])
		}
		if ratio, ok := r.Obs["used_memory_ratio"].(float64); !ok || ratio <= 0 || ratio >= 1 {
			t.Errorf("used_memory_ratio = %#v", r.Obs["used_memory_ratio"])
		}
		if v, _ := r.Obs["version"].(string); v == "" {
			t.Errorf("version = %#v", r.Obs["version"])
		}
		if n, _ := r.Obs["connected_clients"].(int); n < 1 {
			t.Errorf("connected_clients = %#v", r.Obs["connected_clients"])
		}
		if r.Obs["evicted_keys"] != 0 || r.Obs["rdb_last_bgsave_status"] != "ok" || r.Obs["aof_last_write_status"] != "ok" {
			t.Errorf("evicted %v rdb %v aof %v", r.Obs["evicted_keys"], r.Obs["rdb_last_bgsave_status"], r.Obs["aof_last_write_status"])
		}
		if run(t, decode(t, open.URL(), ""), 5*time.Second).Obs["used_memory_ratio"] != nil {
			t.Error("used_memory_ratio without maxmemory is not nil")
		}
	})

	t.Run("expect_role", func(t *testing.T) {
		testsvc.Eventually(t, 10*time.Second, "replica link up", func() error {
			r := run(t, decode(t, replica.URL(), ""), 5*time.Second)
			if r.Obs["master_link_status"] != "up" {
				return fmt.Errorf("master_link_status %v", r.Obs["master_link_status"])
			}
			return nil
		})
		run(t, decode(t, master.URL(), "expect_role: master"), 5*time.Second).Want(t, "pass")
		run(t, decode(t, master.URL(), "expect_role: replica"), 5*time.Second).Want(t, "fail", "server is a master, expected replica")
		r := run(t, decode(t, replica.URL(), "expect_role: replica"), 5*time.Second)
		r.Want(t, "pass")
		if r.Obs["role"] != "replica" {
			t.Errorf("role = %v", r.Obs["role"])
		}
		run(t, decode(t, replica.URL(), "expect_role: primary"), 5*time.Second).Want(t, "fail", "server is a replica, expected master")
	})

	t.Run("min_hit_ratio", func(t *testing.T) {
		c, ctx := admin(t, master)
		c.ConfigResetStat(ctx)
		r := run(t, decode(t, master.URL(), "min_hit_ratio: 0.5"), 5*time.Second)
		r.Want(t, "error", "hit ratio cannot be measured yet")
		if r.Reason() != checks.ReasonNoData {
			t.Errorf("reason %q, want no_data", r.Reason())
		}
		c.Set(ctx, "warm", "1", 0)
		for range 9 {
			c.Get(ctx, "warm")
		}
		c.Get(ctx, "cold")
		r = run(t, decode(t, master.URL(), "min_hit_ratio: 0.8"), 5*time.Second)
		r.Want(t, "pass")
		if r.Obs["hit_ratio"] != 0.9 {
			t.Errorf("hit_ratio = %v, want 0.9", r.Obs["hit_ratio"])
		}
		run(t, decode(t, master.URL(), "min_hit_ratio: 0.95"), 5*time.Second).
			Want(t, "fail", "hit ratio 0.90 is below min_hit_ratio 0.95 (9 hits, 1 misses)")
	})

	t.Run("max_memory_ratio", func(t *testing.T) {
		run(t, decode(t, master.URL(), "max_memory_ratio: 0.9"), 5*time.Second).Want(t, "pass")
		run(t, decode(t, master.URL(), "max_memory_ratio: 0.001"), 5*time.Second).
			Want(t, "fail", "of maxmemory 64.00M, above max_memory_ratio 0.00")
		run(t, decode(t, open.URL(), "max_memory_ratio: 0.9"), 5*time.Second).
			Want(t, "fail", "maxmemory is not set (unlimited)")
	})

	t.Run("require_persistence_ok", func(t *testing.T) {
		run(t, decode(t, master.URL(), "require_persistence_ok: true"), 5*time.Second).Want(t, "pass")
		// Broken: the data directory disappears, BGSAVE cannot write.
		dir := filepath.Join(t.TempDir(), "data")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		broken := testsvc.StartRedis(t, testsvc.RedisOptions{Dir: dir})
		c, ctx := admin(t, broken)
		c.Set(ctx, "k", "v", 0)
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		if err := c.BgSave(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		testsvc.Eventually(t, 10*time.Second, "bgsave failed", func() error {
			info := parseInfo(c.Info(ctx, "persistence").Val())
			if info["rdb_last_bgsave_status"] != "err" {
				return fmt.Errorf("rdb_last_bgsave_status %q", info["rdb_last_bgsave_status"])
			}
			return nil
		})
		run(t, decode(t, broken.URL(), ""), 5*time.Second).Want(t, "pass")
		run(t, decode(t, broken.URL(), "require_persistence_ok: true"), 5*time.Second).
			Want(t, "fail", "the last RDB save failed (rdb_last_bgsave_status err")
	})

	t.Run("key", func(t *testing.T) { testKey(t, open) })
	t.Run("auth", func(t *testing.T) { testAuth(t, master) })

	// Last: the master dies while a probe waits for its answer.
	t.Run("killed_mid_run", func(t *testing.T) {
		rel := startRelay(t, master.Addr)
		c, ctx := admin(t, master)
		if err := c.Do(ctx, "CLIENT", "PAUSE", "20000", "ALL").Err(); err != nil {
			t.Fatal(err)
		}
		done := make(chan result, 1)
		go func() {
			p := New()
			p.URL = "redis://" + rel.addr
			p.Password = secret
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			start := time.Now()
			obs, err := p.Run(ctx)
			done <- result{Obs: obs, Err: err, Elapsed: time.Since(start)}
		}()
		select {
		case <-rel.sent:
		case <-time.After(10 * time.Second):
			t.Fatal("probe never sent a command")
		}
		master.Kill(t)
		var res result
		select {
		case res = <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("probe still running 10s after redis was killed")
		}
		noSecret(t, res)
		res.Want(t, "error")
		if reason := res.Reason(); reason == checks.ReasonUnknown || reason == "" {
			t.Errorf("reason %q is not classified (%v)", reason, res.Err)
		}
		t.Logf("redis killed mid-run: reason %s after %s", res.Reason(), res.Elapsed)

		r := run(t, decode(t, master.URL(), ""), 5*time.Second)
		if r.Reason() != checks.ReasonConnectionRefused {
			t.Errorf("after kill: reason %q (%v)", r.Reason(), r.Err)
		}
		// The replica notices its master is gone.
		testsvc.Eventually(t, 10*time.Second, "replica link down", func() error {
			r := run(t, decode(t, replica.URL(), ""), 5*time.Second)
			if r.Obs["master_link_status"] != "down" {
				return fmt.Errorf("master_link_status %v", r.Obs["master_link_status"])
			}
			return nil
		})
		run(t, decode(t, replica.URL(), "expect_role: replica"), 5*time.Second).
			Want(t, "fail", fmt.Sprintf("replica's link to its master %s is down", master.Addr))
	})
}

// testKey also proves that the probe sends read-only commands only.
func testKey(t *testing.T, srv *testsvc.Redis) {
	c, ctx := admin(t, srv)
	c.Set(ctx, "greeting", "hello world", 0)
	c.RPush(ctx, "queue", "a", "b")
	c.ConfigResetStat(ctx)
	url := srv.URL()
	for _, tc := range []struct {
		name, opts, status string
		fragments          []string
	}{
		{"exists", "key: {name: greeting}", "pass", nil},
		{"missing", "key: {name: nope}", "fail", []string{`key "nope" does not exist`}},
		{"must be absent", "key: {name: nope, exists: false}", "pass", nil},
		{"present but must be absent", "key: {name: greeting, exists: false}", "fail", []string{`key "greeting" exists (a string), expected it not to`}},
		{"type", "key: {name: queue, type: list}", "pass", nil},
		{"wrong type", "key: {name: queue, type: string}", "fail", []string{`key "queue" is a list, expected string`}},
		{"matches", "key: {name: greeting, matches: '^hello'}", "pass", nil},
		{"does not match", "key: {name: greeting, matches: '^bye'}", "fail", []string{`value of key "greeting" (11 bytes) does not match ^bye`}},
		{"matches on a list", "key: {name: queue, matches: 'a'}", "fail", []string{"matches needs a string"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, decode(t, url, tc.opts), 5*time.Second)
			r.Want(t, tc.status, tc.fragments...)
		})
	}
	r := run(t, decode(t, url, "key: {name: queue}"), 5*time.Second)
	if r.Obs["key_exists"] != true || r.Obs["key_type"] != "list" {
		t.Errorf("key_exists %v key_type %v", r.Obs["key_exists"], r.Obs["key_type"])
	}

	// Every command the probes sent is read-only, and the data is as it was.
	stats := parseInfo(c.Info(ctx, "commandstats").Val())
	allowed := map[string]bool{"hello": true, "ping": true, "info": true, "type": true, "get": true, "config|resetstat": true}
	for k := range stats {
		name := strings.TrimPrefix(k, "cmdstat_")
		if !allowed[name] {
			t.Errorf("command %s was sent (commandstats %s)", name, stats[k])
		}
	}
	if v := c.Get(ctx, "greeting").Val(); v != "hello world" {
		t.Errorf("greeting = %q", v)
	}
	if n := c.DBSize(ctx).Val(); n != 2 { // db 0: greeting and queue
		t.Errorf("dbsize = %d, want 2", n)
	}

	// The database number in the url selects where the key is looked up.
	db2 := redis.NewClient(&redis.Options{Addr: srv.Addr, DB: 2, Protocol: 2})
	defer db2.Close()
	db2.Set(ctx, "only-in-db2", "x", 0)
	run(t, decode(t, "redis://"+srv.Addr+"/2", "key: {name: only-in-db2}"), 5*time.Second).Want(t, "pass")
	run(t, decode(t, "redis://"+srv.Addr+"/0", "key: {name: only-in-db2}"), 5*time.Second).
		Want(t, "fail", `key "only-in-db2" does not exist`)
}

func testAuth(t *testing.T, protected *testsvc.Redis) {
	// A least-privilege ACL user that cannot write is all the probe needs.
	c, ctx := admin(t, protected)
	if err := c.Do(ctx, "ACL", "SETUSER", "readyctl", "on", ">"+secret+"-acl", "~*", "resetchannels",
		"+@connection", "+info", "+type", "+get", "+cluster|info").Err(); err != nil {
		t.Fatal(err)
	}
	run(t, decode(t, fmt.Sprintf("redis://readyctl:%s-acl@%s/0", secret, protected.Addr), "key: {name: nope, exists: false}"), 5*time.Second).
		Want(t, "pass")
	r := run(t, decode(t, fmt.Sprintf("redis://readyctl:wrong@%s/0", protected.Addr), ""), 5*time.Second)
	if r.Reason() != checks.ReasonAuth {
		t.Errorf("ACL user, wrong password: reason %q (%v)", r.Reason(), r.Err)
	}

	free := testsvc.FreePort(t)
	for _, c := range []struct {
		name, url, password, reason string
		fragments                   []string
	}{
		{"wrong password in url", fmt.Sprintf("redis://:%s@%s/0", "wrong-"+secret, protected.Addr), "", checks.ReasonAuth, []string{"WRONGPASS"}},
		{"wrong password option", fmt.Sprintf("redis://%s/0", protected.Addr), "wrong-" + secret, checks.ReasonAuth, []string{"authentication failed"}},
		{"no password", fmt.Sprintf("redis://%s/0", protected.Addr), "", checks.ReasonAuth, []string{"NOAUTH"}},
		{"password option overrides url", fmt.Sprintf("redis://:wrong@%s/0", protected.Addr), secret, "", nil},
		{"refused", fmt.Sprintf("redis://:%s@127.0.0.1:%d/0", secret, free), "", checks.ReasonConnectionRefused, []string{fmt.Sprintf("redis://127.0.0.1:%d/0", free)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := decode(t, c.url, "")
			p.Password = c.password
			r := run(t, p, 5*time.Second)
			if c.reason == "" {
				r.Want(t, "pass")
				return
			}
			r.Want(t, "error", c.fragments...)
			if r.Reason() != c.reason {
				t.Errorf("reason %q, want %q", r.Reason(), c.reason)
			}
		})
	}
}

func TestTLS(t *testing.T) {
	certs := testsvc.LoopbackCert(t, t.TempDir())
	other := testsvc.LoopbackCert(t, t.TempDir())
	srv := testsvc.StartRedis(t, testsvc.RedisOptions{Password: secret, TLS: &certs})
	url := srv.URL()
	run(t, decode(t, url, fmt.Sprintf("tls: {ca_file: %q}", certs.CAFile)), 5*time.Second).Want(t, "pass")
	r := run(t, decode(t, url, fmt.Sprintf("tls: {ca_file: %q}", other.CAFile)), 5*time.Second)
	r.Want(t, "error")
	if r.Reason() != checks.ReasonTLS {
		t.Errorf("wrong CA: reason %q (%v)", r.Reason(), r.Err)
	}
	run(t, decode(t, url, "tls: {insecure_skip_verify: true}"), 5*time.Second).Want(t, "pass")
	r = run(t, decode(t, url, fmt.Sprintf("tls: {ca_file: %q, server_name: wrong.example}", certs.CAFile)), 5*time.Second)
	if r.Reason() != checks.ReasonTLS {
		t.Errorf("wrong server_name: reason %q (%v)", r.Reason(), r.Err)
	}

	// Mutual TLS: the server demands a client certificate.
	mtls := testsvc.StartRedis(t, testsvc.RedisOptions{TLS: &certs, Args: []string{"--tls-auth-clients", "yes"}})
	r = run(t, decode(t, mtls.URL(), fmt.Sprintf("tls: {ca_file: %q}", certs.CAFile)), 5*time.Second)
	r.Want(t, "error")
	if reason := r.Reason(); reason != checks.ReasonTLS {
		t.Errorf("no client certificate: reason %q (%v)", reason, r.Err)
	}
	run(t, decode(t, mtls.URL(), fmt.Sprintf("tls: {ca_file: %q, cert_file: %q, key_file: %q}", certs.CAFile, certs.CertFile, certs.KeyFile)), 5*time.Second).
		Want(t, "pass")
}

// TestLoading: a server still loading its dataset is an error with reason
// loading, not a pass and not a generic error.
func TestLoading(t *testing.T) {
	dir := t.TempDir()
	seed := testsvc.StartRedis(t, testsvc.RedisOptions{Dir: dir})
	c, ctx := admin(t, seed)
	pipe := c.Pipeline()
	for i := range 5000 {
		pipe.Set(ctx, fmt.Sprintf("key:%d", i), "value", 0)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	seed.Kill(t)

	slow := testsvc.StartRedis(t, testsvc.RedisOptions{Dir: dir, NoWait: true,
		Args: []string{"--key-load-delay", "1000", "--loading-process-events-interval-bytes", "1024"}})
	r := run(t, decode(t, slow.URL(), ""), 5*time.Second)
	r.Want(t, "error", "still loading its dataset")
	if r.Reason() != "loading" || r.Obs["loading"] != true {
		t.Errorf("reason %q, loading %v", r.Reason(), r.Obs["loading"])
	}
}

func TestCluster(t *testing.T) {
	srv := testsvc.StartRedis(t, testsvc.RedisOptions{Args: []string{"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"}})
	r := run(t, decode(t, srv.URL(), ""), 5*time.Second)
	r.Want(t, "fail", "cluster_state is fail, not ok")
	c, ctx := admin(t, srv)
	if err := c.ClusterAddSlotsRange(ctx, 0, 16383).Err(); err != nil {
		t.Fatal(err)
	}
	testsvc.Eventually(t, 10*time.Second, "cluster_state ok", func() error {
		return run(t, decode(t, srv.URL(), ""), 5*time.Second).Err
	})
	r = run(t, decode(t, srv.URL(), ""), 5*time.Second)
	if r.Obs["cluster_state"] != "ok" || r.Obs["cluster_enabled"] != true {
		t.Errorf("cluster_state %v", r.Obs["cluster_state"])
	}
}

// TestTimeouts: a server that accepts connections and never answers is
// reported by connect_timeout, and the deadline bounds everything.
func TestTimeouts(t *testing.T) {
	addr := probetest.SilentServer(t)
	url := "redis://" + addr
	r := run(t, decode(t, url, "connect_timeout: 300ms"), 10*time.Second)
	r.Want(t, "error")
	if r.Reason() != checks.ReasonTimeout || r.Elapsed > 2*time.Second {
		t.Errorf("connect_timeout 300ms: reason %q after %s (%v)", r.Reason(), r.Elapsed, r.Err)
	}
	r = run(t, decode(t, url, "connect_timeout: 1m"), 400*time.Millisecond)
	if r.Reason() != checks.ReasonTimeout || r.Elapsed > 2*time.Second {
		t.Errorf("deadline 400ms: reason %q after %s (%v)", r.Reason(), r.Elapsed, r.Err)
	}
	if New().ConnectTimeout != 5*time.Second {
		t.Error("default connect_timeout is not 5s")
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct{ url, opts, field string }{
		{"", "", "url"},
		{"http://x", "", "url"},
		{"redis://:" + secret + "@host:notaport/0", "", "url"},
		{"redis://x", "tls: {insecure_skip_verify: true}", "tls"},
		{"rediss://x", "tls: {cert_file: a.pem}", "tls"},
		{"redis://x", "expect_role: leader", "expect_role"},
		{"redis://x", "min_hit_ratio: 2", "min_hit_ratio"},
		{"redis://x", "max_memory_ratio: -0.1", "max_memory_ratio"},
		{"redis://x", "key: {type: string}", "key.name"},
		{"redis://x", "key: {name: k, type: blob}", "key.type"},
		{"redis://x", "key: {name: k, matches: '('}", "key.matches"},
		{"redis://x", "key: {name: k, type: list, matches: 'a'}", "key.matches"},
		{"redis://x", "key: {name: k, exists: false, type: list}", "key.exists"},
	} {
		p := New()
		probetest.Decode(t, p, c.opts)
		p.URL = c.url
		err := p.Validate()
		var fe *checks.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%s %s: Validate() = %v, want a FieldError on %s", c.url, c.opts, err, c.field)
		}
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("password in validation error: %v", err)
		}
	}
}
