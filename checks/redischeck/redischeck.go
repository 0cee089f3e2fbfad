// Package redischeck is the `redis` probe kind: it connects to one Redis
// server with go-redis and reports its role, replication link, memory,
// cache hit ratio, persistence and cluster state, and optionally one key.
//
// It must never change the server it checks: besides the connection
// handshake (HELLO with AUTH) it sends only PING, INFO, CLUSTER INFO, TYPE
// and GET, on one connection, without retries (the runner owns retries).
package redischeck

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/checks/tlsopt"
)

func init() {
	// go-redis logs dial failures itself; the probe reports them as its
	// error already, and stderr belongs to readyctl's own logs.
	redis.SetLogger(quietLogger{})
	checks.Register(checks.Kind{
		Name:         "redis",
		New:          func() checks.Probe { return New() },
		Summary:      "Redis: PING latency, role and replication link, memory, hit ratio, persistence, cluster state, one key",
		Example:      example,
		Observations: observations,
	})
}

const example = `- id: redis-cache
  title: Redis cache connectivity and effectiveness
  severity: critical
  timeout: 5s
  redis:
    url: redis://cache.internal:6379/0
    password: ${env:REDIS_PASSWORD:-}
    expect_role: master
    min_hit_ratio: 0.8
    max_memory_ratio: 0.9
    require_persistence_ok: true
    key:
      name: feature-flags
      type: string
    expect:
      - latency < duration("50ms")
      - evicted_keys == 0
`

// Probe is the `redis:` block of a checklist item.
type Probe struct {
	URL                  string         `yaml:"url" doc:"redis://[user:password@]host:port/db, or rediss:// for TLS"`
	Password             string         `yaml:"password" doc:"password (AUTH), usually ${env:...}; overrides one in url"`
	ConnectTimeout       time.Duration  `yaml:"connect_timeout" doc:"limit for connecting, TLS, AUTH and the first PING reply; the item timeout always bounds it"`
	TLS                  tlsopt.Options `yaml:"tls" doc:"TLS client options for a rediss:// url"`
	ExpectRole           string         `yaml:"expect_role" doc:"master or replica (aliases primary, slave); a replica must also have its master link up"`
	MinHitRatio          float64        `yaml:"min_hit_ratio" doc:"fail when keyspace_hits/(hits+misses) is lower, 0..1; no traffic yet is an error (no_data)"`
	MaxMemoryRatio       float64        `yaml:"max_memory_ratio" doc:"fail when used_memory/maxmemory is higher, 0..1; fails when maxmemory is unlimited"`
	RequirePersistenceOK bool           `yaml:"require_persistence_ok" doc:"fail unless the last RDB save and the last AOF write succeeded"`
	Key                  *Key           `yaml:"key" doc:"check one key with read-only commands (TYPE, GET)"`
	MaxBytes             int64          `yaml:"max_bytes" doc:"most bytes the probe reads from the server (INFO, the key's value), default 1 MiB; a larger reply is an error with reason too_large"`
}

// Key is the `key:` block.
type Key struct {
	Name    string `yaml:"name" doc:"the key"`
	Exists  *bool  `yaml:"exists" doc:"whether the key must exist (default true)"`
	Type    string `yaml:"type" doc:"required type: string, list, set, zset, hash, stream"`
	Matches string `yaml:"matches" doc:"regular expression a string value must match"`
}

// DefaultConnectTimeout bounds connection establishment.
const DefaultConnectTimeout = 5 * time.Second

// DefaultMaxBytes caps what a run reads: INFO is a few KiB, a 1 GiB reply
// is an attack or a mistake.
const DefaultMaxBytes = 1 << 20

// New returns a probe with its defaults.
func New() *Probe {
	return &Probe{ConnectTimeout: DefaultConnectTimeout, MaxBytes: DefaultMaxBytes}
}

func (p *Probe) maxBytes() int64 {
	if p.MaxBytes > 0 {
		return p.MaxBytes
	}
	return DefaultMaxBytes
}

// expectRoles are the expect_role values, aliases included.
var expectRoles = []string{"master", "primary", "replica", "slave"}

var keyTypes = map[string]bool{"string": true, "list": true, "set": true, "zset": true, "hash": true, "stream": true}

// Validate checks the configuration without any I/O.
func (p *Probe) Validate() error {
	if p.URL == "" {
		return checks.FieldErrorf("url", "is required (redis://host:6379/0)")
	}
	opts, err := parseURL(p.URL)
	if err != nil {
		return checks.FieldErrorf("url", "%v", err)
	}
	if p.TLS != (tlsopt.Options{}) && opts.TLSConfig == nil {
		return checks.FieldErrorf("tls", "tls options need a rediss:// url")
	}
	if err := p.TLS.Validate(); err != nil {
		return checks.FieldErrorf("tls", "%v", err)
	}
	if p.ConnectTimeout < 0 {
		return checks.FieldErrorf("connect_timeout", "must not be negative")
	}
	if p.MaxBytes <= 0 {
		return checks.FieldErrorf("max_bytes", "must be positive")
	}
	if p.ExpectRole != "" && !slices.Contains(expectRoles, p.ExpectRole) {
		return checks.FieldErrorf("expect_role", "%q is neither master nor replica", p.ExpectRole)
	}
	if p.MinHitRatio < 0 || p.MinHitRatio > 1 {
		return checks.FieldErrorf("min_hit_ratio", "%g is not a ratio between 0 and 1", p.MinHitRatio)
	}
	if p.MaxMemoryRatio < 0 || p.MaxMemoryRatio > 1 {
		return checks.FieldErrorf("max_memory_ratio", "%g is not a ratio between 0 and 1", p.MaxMemoryRatio)
	}
	if k := p.Key; k != nil {
		if k.Name == "" {
			return checks.FieldErrorf("key.name", "is required")
		}
		if k.Type != "" && !keyTypes[k.Type] {
			return checks.FieldErrorf("key.type", "%q is not one of string, list, set, zset, hash, stream", k.Type)
		}
		if k.Exists != nil && !*k.Exists && (k.Type != "" || k.Matches != "") {
			return checks.FieldErrorf("key.exists", "a key that must not exist has no type or value to match")
		}
		if k.Matches != "" {
			if k.Type != "" && k.Type != "string" {
				return checks.FieldErrorf("key.matches", "matches needs type string")
			}
			if _, err := regexp.Compile(k.Matches); err != nil {
				return checks.FieldErrorf("key.matches", "%v", err)
			}
		}
	}
	return nil
}

// parseURL parses a redis URL without letting the URL (and its password)
// into the error.
func parseURL(raw string) (*redis.Options, error) {
	opts, err := redis.ParseURL(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			return nil, fmt.Errorf("not a valid URL: %v", ue.Err)
		}
		return nil, err
	}
	return opts, nil
}

// target names the server for messages, without credentials.
func (p *Probe) target(o *redis.Options) string {
	scheme := "redis"
	if o.TLSConfig != nil {
		scheme = "rediss"
	}
	return fmt.Sprintf("%s://%s/%d", scheme, o.Addr, o.DB)
}

// Run connects, observes and checks.
func (p *Probe) Run(ctx context.Context) (checks.Observations, error) {
	obs := checks.Observations{}
	o, err := parseURL(p.URL)
	if err != nil {
		return obs, fmt.Errorf("url: %w", err)
	}
	if err := p.clientOptions(o); err != nil {
		return obs, err
	}
	g := &guard{limit: p.maxBytes()}
	o.Dialer = g.dialer(ctx, redis.NewDialer(o))
	target := p.target(o)
	// Every error below goes through fail: the read cap and the end of the
	// run explain an error better than what go-redis saw.
	fail := func(err error) error {
		switch {
		case g.tooLarge(err):
			return checks.WithReason(checks.ReasonTooLarge, fmt.Errorf("%s: a reply is larger than max_bytes %d: raise max_bytes if that is expected", target, g.limit))
		case ctx.Err() != nil:
			return fmt.Errorf("%s: %w", target, ctx.Err())
		}
		return classify(target, err)
	}
	client := redis.NewClient(o)
	defer client.Close()

	// connect_timeout covers dialing, TLS, AUTH and the first reply: a
	// server that accepts connections but never answers is found quickly.
	pingCtx, cancel := context.WithTimeout(ctx, p.connectTimeout())
	defer cancel()
	start := time.Now()
	pingErr := client.Ping(pingCtx).Err()
	if pingErr == nil {
		obs["latency"] = time.Since(start)
	} else if !redis.IsLoadingError(pingErr) {
		if g.tooLarge(pingErr) || ctx.Err() != nil {
			return obs, fail(pingErr)
		}
		if connectTimedOut(ctx, pingCtx) {
			return obs, classify(target, fmt.Errorf("no answer within connect_timeout %s: %w", p.connectTimeout(), pingErr))
		}
		if o.TLSConfig != nil && len(o.TLSConfig.Certificates) == 0 && checks.Classify(pingErr) == checks.ReasonConnectionReset {
			// With TLS 1.3 a server that wants a client certificate closes
			// the connection after the client thinks the handshake is done.
			return obs, checks.WithReason(checks.ReasonTLS, fmt.Errorf(
				"%s: the server closed the TLS connection at once; it probably requires a client certificate (tls.cert_file, tls.key_file): %w", target, pingErr))
		}
		return obs, fail(pingErr)
	}

	raw, err := client.Info(ctx).Result()
	if err != nil {
		return obs, fail(err)
	}
	info := parseInfo(raw)
	observe(info, obs)
	if pingErr != nil || info["loading"] == "1" {
		return obs, checks.WithReason("loading", fmt.Errorf("%s: the server is still loading its dataset (%s%% done)",
			target, orDefault(info["loading_loaded_perc"], "?")))
	}

	var fails []string
	if info["cluster_enabled"] == "1" {
		raw, err := client.ClusterInfo(ctx).Result()
		if err != nil {
			return obs, fail(err)
		}
		state := parseInfo(raw)["cluster_state"]
		obs["cluster_state"] = state
		if state != "ok" {
			fails = append(fails, fmt.Sprintf("cluster_state is %s, not ok", state))
		}
	}
	msgs, err := p.checkInfo(info, obs)
	if err != nil {
		return obs, err
	}
	fails = append(fails, msgs...)

	if p.Key != nil {
		msgs, err := p.checkKey(ctx, client, obs)
		if err != nil {
			return obs, fail(err)
		}
		fails = append(fails, msgs...)
	}
	if len(fails) > 0 {
		return obs, checks.Fail("", "%s", strings.Join(fails, "; "))
	}
	return obs, nil
}

// clientOptions pins the client to one connection, no retries, RESP2 (no
// HELLO), no CLIENT SETINFO and no maintenance notifications: the probe
// sends nothing but its own read-only commands.
func (p *Probe) clientOptions(o *redis.Options) error {
	if p.Password != "" {
		o.Password = p.Password
	}
	if o.TLSConfig != nil {
		cfg, err := p.TLS.Config()
		if err != nil {
			return err
		}
		if cfg.ServerName == "" {
			cfg.ServerName = o.TLSConfig.ServerName
		}
		o.TLSConfig = cfg
	}
	o.Protocol = 2
	o.DisableIdentity = true
	o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	o.MaxRetries = -1
	o.DialerRetries = 1
	o.PoolSize = 1
	o.MinIdleConns = 0
	// The item's deadline is the only read and write limit: go-redis's
	// default 5 s read timeout would cut a `timeout: 20s` item short
	// (-1: no timeout of its own; the context's deadline still applies).
	o.ContextTimeoutEnabled = true
	o.ReadTimeout = -1
	o.WriteTimeout = -1
	o.DialTimeout = p.connectTimeout()
	return nil
}

func (p *Probe) connectTimeout() time.Duration {
	if p.ConnectTimeout > 0 {
		return p.ConnectTimeout
	}
	return DefaultConnectTimeout
}

// connectTimedOut tells whether connect_timeout, not the item deadline,
// ended the first command. The net deadline can fire a moment before the
// context notices, so this compares the clocks.
func connectTimedOut(ctx, pingCtx context.Context) bool {
	limit, _ := pingCtx.Deadline()
	if outer, ok := ctx.Deadline(); ok && !limit.Before(outer) {
		return false
	}
	return !time.Now().Before(limit)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

var _ checks.Probe = (*Probe)(nil)
