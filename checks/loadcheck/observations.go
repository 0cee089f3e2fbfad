package loadcheck

import "github.com/readyctl/readyctl/checks"

// observations are what `expect:` can use, type-checked at load.
var observations = []checks.Observation{
	{Name: "rps", Type: checks.TypeFloat, Doc: "requests per second over the measured time", Key: true},
	{Name: "p95", Type: checks.TypeDuration, Doc: "95th percentile latency, nil with no answer", Key: true},
	{Name: "p99", Type: checks.TypeDuration, Doc: "99th percentile latency, nil with no answer", Key: true},
	{Name: "error_rate", Type: checks.TypeFloat, Doc: "errors / requests, 0..1, nil with no request", Key: true},
	{Name: "requests", Type: checks.TypeInt, Doc: "requests measured (warmup excluded)"},
	{Name: "errors", Type: checks.TypeInt, Doc: "requests that failed or had a status outside ok_status"},
	{Name: "responses", Type: checks.TypeInt, Doc: "requests that got an answer"},
	{Name: "p50", Type: checks.TypeDuration, Doc: "median latency, nil with no answer"},
	{Name: "p90", Type: checks.TypeDuration, Doc: "90th percentile latency, nil with no answer"},
	{Name: "min", Type: checks.TypeDuration, Doc: "lowest latency, nil with no answer"},
	{Name: "mean", Type: checks.TypeDuration, Doc: "mean latency, nil with no answer"},
	{Name: "max", Type: checks.TypeDuration, Doc: "highest latency, nil with no answer"},
	{Name: "duration", Type: checks.TypeDuration, Doc: "measured time"},
	{Name: "status_counts", Type: checks.TypeMap, Doc: `answers per status code, e.g. status_counts["503"]`},
	{Name: "error_kinds", Type: checks.TypeMap, Doc: "errors per kind (timeout, connection_refused, status, ...)"},
	{Name: "dropped", Type: checks.TypeInt, Doc: "with rate: due requests that found no free connection, else nil"},
	{Name: "thresholds", Type: checks.TypeList, Doc: "each threshold ({threshold, value, ok})"},
}
