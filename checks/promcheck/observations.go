package promcheck

import "github.com/readyctl/readyctl/checks"

// observations are what `expect:` can use, type-checked at load.
var observations = []checks.Observation{
	{Name: "url", Type: checks.TypeString, Doc: "Prometheus base URL, without credentials"},
	{Name: "ready", Type: checks.TypeBool, Doc: "with ready: /-/ready answered 200"},
	{Name: "query", Type: checks.TypeString, Doc: "with query: the PromQL sent"},
	{Name: "value", Type: checks.TypeFloat, Doc: "with query: value of the first series, nil when none", Key: true},
	{Name: "result", Type: checks.TypeList, Doc: "with query: one value (float) per series", Key: true},
	{Name: "series", Type: checks.TypeList, Doc: "with query: each series ({labels, value, time})"},
	{Name: "warnings", Type: checks.TypeList, Doc: "with query: warnings Prometheus returned"},
	{Name: "targets", Type: checks.TypeMap, Doc: "with targets: scrape target health"},
	{Name: "targets.total", Type: checks.TypeInt, Doc: "targets checked"},
	{Name: "targets.up", Type: checks.TypeInt, Doc: "targets up", Key: true},
	{Name: "targets.up_ratio", Type: checks.TypeFloat, Doc: "up / total, 0..1"},
	{Name: "targets.down", Type: checks.TypeList, Doc: "targets not up ({job, instance, scrape_url, health, last_error})"},
	{Name: "targets.jobs", Type: checks.TypeMap, Doc: "per job: {total, up, up_ratio}"},
	{Name: "alerts", Type: checks.TypeMap, Doc: "with alerts: alert state"},
	{Name: "alerts.firing", Type: checks.TypeList, Doc: "firing alerts not ignored ({name, labels, value, active_at})", Key: true},
	{Name: "alerts.ignored", Type: checks.TypeList, Doc: "names of firing alerts ignored"},
	{Name: "alerts.pending", Type: checks.TypeList, Doc: "names of pending alerts"},
	{Name: "rules", Type: checks.TypeMap, Doc: "with rules: rule health"},
	{Name: "rules.total", Type: checks.TypeInt, Doc: "rules loaded"},
	{Name: "rules.broken", Type: checks.TypeList, Doc: "rules whose evaluation fails"},
	{Name: "rules.missing", Type: checks.TypeList, Doc: "required rules not loaded"},
}
