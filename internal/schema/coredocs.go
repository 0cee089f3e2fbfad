package schema

// The loader's own shapes (file, section, item) carry no doc tags; these
// words describe their fields in the schema and the reference. A field
// missing here is still described by its name and type.
var coreDocs = map[string]map[string]string{
	"file": {
		"version":                "the format's version: 1",
		"name":                   "the checklist's name, shown in reports; may use ${var}",
		"description":            "free text about the checklist",
		"vars":                   "defaults for ${name} references; --env and --var override them",
		"environments":           "per environment (--env NAME), values that override vars",
		"defaults":               "what every item gets unless it says otherwise",
		"defaults.timeout":       "per attempt (default 10s)",
		"defaults.retries":       "extra attempts after a failure, 0 to 100 (default 0)",
		"defaults.retry_delay":   "pause between attempts (default 1s)",
		"defaults.severity":      "critical, warning or info (default critical)",
		"sections":               "the checklist's sections, in order; items keep this order in reports",
		"signoff":                "who may sign off manual items and approve a run, and what counts",
		"intrusive_environments": "environments where intrusive probes (load, rate-limit bursts, injection canaries) may run; elsewhere they are skipped",
	},
	"section": {
		"id":            "unique section id, [a-z0-9][a-z0-9-]*",
		"title":         "as shown in reports (default: the id)",
		"description":   "free text about the section",
		"phase":         "free-form phase of every item in the section (pre-deploy, post-deploy, ...); --phase selects",
		"min_pass_rate": "0..1: the section itself fails (and blocks) when fewer of its items pass",
		"items":         "the section's items",
	},
	"item": {
		"id":          "unique across the file, [a-z0-9][a-z0-9-]*",
		"title":       "as shown in reports (default: the id)",
		"description": "free text about the item",
		"phase":       "the item's phase (default: its section's); --phase selects",
		"severity":    "critical (blocks), warning (blocks with --fail-on warning) or info (never blocks)",
		"tags":        "free-form tags; --tags selects",
		"timeout":     "per attempt, a duration such as 5s (default: defaults.timeout, or what a long probe needs)",
		"retries":     "extra attempts after a failure, 0 to 100",
		"retry_delay": "pause between attempts",
		"depends_on":  "ids of items that must pass first; otherwise this one is skipped (reason dependency)",
		"exclusive":   "run alone: nothing else runs meanwhile (load items are exclusive by default)",
	},
}
