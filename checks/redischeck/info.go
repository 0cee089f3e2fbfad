package redischeck

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/readyctl/readyctl/checks"
)

// parseInfo reads INFO (or CLUSTER INFO) text: "name:value" lines,
// "# Section" headers and blank lines.
func parseInfo(raw string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(raw, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = v
		}
	}
	return m
}

// num returns an INFO field as int, or nil when absent or not a number.
func num(info map[string]string, key string) any {
	n, err := strconv.ParseInt(info[key], 10, 64)
	if err != nil {
		return nil
	}
	return int(n)
}

func role(info map[string]string) string {
	if info["role"] == "slave" {
		return "replica"
	}
	return info["role"]
}

// hitRatio is keyspace hits/(hits+misses), nil without traffic.
func hitRatio(info map[string]string) any {
	hits, _ := strconv.ParseFloat(info["keyspace_hits"], 64)
	misses, _ := strconv.ParseFloat(info["keyspace_misses"], 64)
	if hits+misses == 0 {
		return nil
	}
	return hits / (hits + misses)
}

// memoryRatio is used_memory/maxmemory, nil when maxmemory is unlimited.
func memoryRatio(info map[string]string) any {
	used, _ := strconv.ParseFloat(info["used_memory"], 64)
	limit, _ := strconv.ParseFloat(info["maxmemory"], 64)
	if limit <= 0 {
		return nil
	}
	return used / limit
}

func observe(info map[string]string, obs map[string]any) {
	obs["role"] = role(info)
	obs["version"] = info["redis_version"]
	obs["connected_clients"] = num(info, "connected_clients")
	obs["used_memory"] = num(info, "used_memory")
	obs["maxmemory"] = num(info, "maxmemory")
	obs["used_memory_ratio"] = memoryRatio(info)
	obs["keyspace_hits"] = num(info, "keyspace_hits")
	obs["keyspace_misses"] = num(info, "keyspace_misses")
	obs["hit_ratio"] = hitRatio(info)
	obs["evicted_keys"] = num(info, "evicted_keys")
	obs["master_link_status"] = nil
	if role(info) == "replica" {
		obs["master_link_status"] = info["master_link_status"]
	}
	obs["rdb_last_bgsave_status"] = info["rdb_last_bgsave_status"]
	obs["aof_enabled"] = info["aof_enabled"] == "1"
	obs["aof_last_write_status"] = info["aof_last_write_status"]
	obs["loading"] = info["loading"] == "1"
	obs["cluster_enabled"] = info["cluster_enabled"] == "1"
}

// checkInfo returns a message for each violated option, or an error when
// an option cannot be judged (no traffic for the hit ratio yet).
func (p *Probe) checkInfo(info map[string]string, obs map[string]any) ([]string, error) {
	var fails []string
	have := role(info)
	switch p.ExpectRole {
	case "master", "primary":
		if have != "master" {
			fails = append(fails, fmt.Sprintf("server is a %s, expected master", have))
		}
	case "replica", "slave":
		switch {
		case have != "replica":
			fails = append(fails, fmt.Sprintf("server is a %s, expected replica", have))
		case info["master_link_status"] != "up":
			msg := fmt.Sprintf("replica's link to its master %s:%s is %s", info["master_host"], info["master_port"], info["master_link_status"])
			if n, _ := strconv.Atoi(info["master_link_down_since_seconds"]); n > 0 {
				msg += fmt.Sprintf(" (for %ds)", n)
			}
			fails = append(fails, msg)
		}
	}
	if p.MinHitRatio > 0 {
		ratio, ok := obs["hit_ratio"].(float64)
		if !ok {
			return nil, checks.WithReason(checks.ReasonNoData, fmt.Errorf(
				"hit ratio cannot be measured yet: no keyspace hits or misses since the server started or its stats were reset"))
		}
		if ratio < p.MinHitRatio {
			fails = append(fails, fmt.Sprintf("hit ratio %.2f is below min_hit_ratio %.2f (%s hits, %s misses)",
				ratio, p.MinHitRatio, info["keyspace_hits"], info["keyspace_misses"]))
		}
	}
	if p.MaxMemoryRatio > 0 {
		ratio, ok := obs["used_memory_ratio"].(float64)
		switch {
		case !ok:
			fails = append(fails, fmt.Sprintf("maxmemory is not set (unlimited), so used memory %s cannot be held against max_memory_ratio %.2f",
				orDefault(info["used_memory_human"], info["used_memory"]), p.MaxMemoryRatio))
		case ratio > p.MaxMemoryRatio:
			fails = append(fails, fmt.Sprintf("used memory %s is %.2f of maxmemory %s, above max_memory_ratio %.2f",
				orDefault(info["used_memory_human"], info["used_memory"]), ratio, orDefault(info["maxmemory_human"], info["maxmemory"]), p.MaxMemoryRatio))
		}
	}
	if p.RequirePersistenceOK {
		if s := info["rdb_last_bgsave_status"]; s != "ok" {
			fails = append(fails, fmt.Sprintf("the last RDB save failed (rdb_last_bgsave_status %s, %s changes not saved)", s, orDefault(info["rdb_changes_since_last_save"], "?")))
		}
		if info["aof_enabled"] == "1" {
			if s := info["aof_last_write_status"]; s != "ok" {
				fails = append(fails, fmt.Sprintf("the last AOF write failed (aof_last_write_status %s)", s))
			}
			if s := info["aof_last_bgrewrite_status"]; s != "" && s != "ok" {
				fails = append(fails, fmt.Sprintf("the last AOF rewrite failed (aof_last_bgrewrite_status %s)", s))
			}
		}
	}
	return fails, nil
}

// checkKey looks at one key with TYPE and, for matches, GET.
func (p *Probe) checkKey(ctx context.Context, client *redis.Client, obs map[string]any) ([]string, error) {
	k := p.Key
	typ, err := client.Type(ctx, k.Name).Result()
	if err != nil {
		return nil, err
	}
	exists := typ != "none"
	obs["key_exists"] = exists
	obs["key_type"] = nil
	if exists {
		obs["key_type"] = typ
	}
	wantExists := k.Exists == nil || *k.Exists
	switch {
	case !wantExists && exists:
		return []string{fmt.Sprintf("key %q exists (a %s), expected it not to", k.Name, typ)}, nil
	case !wantExists:
		return nil, nil
	case !exists:
		return []string{fmt.Sprintf("key %q does not exist", k.Name)}, nil
	case k.Type != "" && typ != k.Type:
		return []string{fmt.Sprintf("key %q is a %s, expected %s", k.Name, typ, k.Type)}, nil
	}
	if k.Matches == "" {
		return nil, nil
	}
	if typ != "string" {
		return []string{fmt.Sprintf("key %q is a %s: matches needs a string", k.Name, typ)}, nil
	}
	re, err := regexp.Compile(k.Matches)
	if err != nil {
		return nil, err
	}
	val, err := client.Get(ctx, k.Name).Result()
	if errors.Is(err, redis.Nil) {
		return []string{fmt.Sprintf("key %q expired before its value could be read", k.Name)}, nil
	}
	if err != nil {
		return nil, err
	}
	// The value is not shown: a cache may hold tokens or personal data.
	if !re.MatchString(val) {
		return []string{fmt.Sprintf("value of key %q (%d bytes) does not match %s", k.Name, len(val), k.Matches)}, nil
	}
	return nil, nil
}

// redisErr keeps the cause for classification under a clean message.
type redisErr struct {
	msg string
	err error
}

func (e *redisErr) Error() string { return e.msg }
func (e *redisErr) Unwrap() error { return e.err }

// classify explains an error from the server or the network and gives it a
// reason code when checks.Classify could not tell.
func classify(target string, err error) error {
	var re *checks.ReasonError
	if errors.As(err, &re) {
		return err
	}
	e := &redisErr{msg: fmt.Sprintf("%s: %v", target, err), err: err}
	switch {
	case redis.IsAuthError(err), redis.HasErrorPrefix(err, "WRONGPASS"), redis.HasErrorPrefix(err, "NOAUTH"),
		redis.HasErrorPrefix(err, "AUTH"), redis.HasErrorPrefix(err, "invalid password"):
		e.msg = fmt.Sprintf("%s: authentication failed: %v", target, err)
		return checks.WithReason(checks.ReasonAuth, e)
	case redis.IsPermissionError(err):
		return checks.WithReason("permission", e)
	case redis.IsLoadingError(err):
		return checks.WithReason("loading", e)
	case redis.IsMaxClientsError(err):
		return checks.WithReason("too_many_connections", e)
	case redis.IsMasterDownError(err), redis.IsClusterDownError(err), redis.HasErrorPrefix(err, "BUSY"):
		return checks.WithReason("unavailable", e)
	}
	if _, moved := redis.IsMovedError(err); moved {
		e.msg = fmt.Sprintf("%s: %v: the key lives on another cluster node; point url at that node", target, err)
		return checks.WithReason("moved", e)
	}
	return e
}
