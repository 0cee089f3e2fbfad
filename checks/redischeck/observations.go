package redischeck

import "github.com/readyctl/readyctl/checks"

// observations are what `expect:` can use, type-checked at load.
var observations = []checks.Observation{
	{Name: "latency", Type: checks.TypeDuration, Doc: "round trip of a PING", Key: true},
	{Name: "role", Type: checks.TypeString, Doc: `"master" or "replica"`, Key: true},
	{Name: "version", Type: checks.TypeString, Doc: "redis_version"},
	{Name: "connected_clients", Type: checks.TypeInt, Doc: "connected clients"},
	{Name: "used_memory", Type: checks.TypeInt, Doc: "bytes of memory used"},
	{Name: "maxmemory", Type: checks.TypeInt, Doc: "memory limit in bytes, 0 when none"},
	{Name: "used_memory_ratio", Type: checks.TypeFloat, Doc: "used_memory / maxmemory, 0..1, nil without a limit", Key: true},
	{Name: "keyspace_hits", Type: checks.TypeInt, Doc: "successful key lookups"},
	{Name: "keyspace_misses", Type: checks.TypeInt, Doc: "failed key lookups"},
	{Name: "hit_ratio", Type: checks.TypeFloat, Doc: "hits / (hits + misses), 0..1, nil with no traffic", Key: true},
	{Name: "evicted_keys", Type: checks.TypeInt, Doc: "keys evicted for the memory limit"},
	{Name: "master_link_status", Type: checks.TypeString, Doc: `on a replica: "up" or "down", else nil`, Key: true},
	{Name: "rdb_last_bgsave_status", Type: checks.TypeString, Doc: `result of the last RDB save, "ok" or "err"`},
	{Name: "aof_enabled", Type: checks.TypeBool, Doc: "append-only file enabled"},
	{Name: "aof_last_write_status", Type: checks.TypeString, Doc: `result of the last AOF write, "ok" or "err"`},
	{Name: "loading", Type: checks.TypeBool, Doc: "the server is still loading its dataset"},
	{Name: "cluster_enabled", Type: checks.TypeBool, Doc: "cluster mode is on"},
	{Name: "cluster_state", Type: checks.TypeString, Doc: `in cluster mode: "ok" or "fail"`},
	{Name: "key_exists", Type: checks.TypeBool, Doc: "with key: the key exists"},
	{Name: "key_type", Type: checks.TypeString, Doc: `with key: its type ("string", "hash", ...), nil when absent`},
}
