package report

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// ms is a millisecond count as a duration for people: "1.52s".
func ms(n int64) string { return (time.Duration(n) * time.Millisecond).String() }

// deploymentLines is the deployment record for people, one fact a line,
// shared by the text and markdown renderers. The strings are raw: each
// renderer escapes them for its medium.
func deploymentLines(r *Report) []string {
	d := r.Deployment
	if d == nil {
		return nil
	}
	var out []string
	add := func(format string, a ...any) { out = append(out, fmt.Sprintf(format, a...)) }
	add("outcome: %s", d.Outcome)
	if d.Reason != "" {
		add("why: %s", d.Reason)
	}
	if r.Release != "" {
		add("release: %s", r.Release)
	}
	if r.Environment != "" {
		add("environment: %s", r.Environment)
	}
	add("started %s, finished %s", d.StartedAt.UTC().Format(time.RFC3339), d.FinishedAt.UTC().Format(time.RFC3339))
	if d.Command != "" {
		cmd := "command: " + d.Command
		if d.ExitCode != nil {
			cmd += fmt.Sprintf(" (exit %d)", *d.ExitCode)
		}
		add("%s", cmd)
	}
	add("deployment duration: %s", ms(d.DurationMS))
	watched := "nothing watched"
	if len(d.Watched) > 0 {
		watched = fmt.Sprintf("watched %s every %s, %d probes, %d failed", strings.Join(d.Watched, ", "), ms(d.IntervalMS), d.Probes, d.ProbeFailures)
	}
	add("downtime: %s (%s)", ms(d.DowntimeMS), watched)
	for _, o := range d.Outages {
		add("outage: %s from %s to %s (%s)", o.Item, o.Start.UTC().Format("15:04:05.000"), o.End.UTC().Format("15:04:05.000"), o.End.Sub(o.Start).Round(time.Millisecond))
	}
	if d.ConvergedMS != nil {
		add("post-deploy converged %s after the command ended", ms(*d.ConvergedMS))
	}
	if d.RolledBack {
		rb := fmt.Sprintf("rollback: done in %s", ms(d.RollbackDurationMS))
		if d.RollbackExitCode != nil {
			rb += fmt.Sprintf(" (exit %d)", *d.RollbackExitCode)
		}
		add("%s", rb)
	} else {
		add("rollback: not done")
	}
	add("post-deployment issues: %d critical, %d warning, %d info", d.Issues.Critical, d.Issues.Warning, d.Issues.Info)
	keys := make([]string, 0, len(d.PerformanceChange))
	for k := range d.PerformanceChange {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	items := map[string]Item{}
	for _, it := range r.Items {
		items[it.ID] = it
	}
	for _, k := range keys {
		id, obs, _ := strings.Cut(k, ".")
		add("performance: %s %s", k, d.PerformanceChange[k].text(isDuration(items[id], obs)))
	}
	if d.UserImpact != nil {
		add("user impact: %.4g", *d.UserImpact)
	}
	return out
}

// deploymentProperties are the record as JUnit properties.
func deploymentProperties(r *Report) []junitProperty {
	d := r.Deployment
	if d == nil {
		return nil
	}
	p := []junitProperty{
		{"deployment.outcome", d.Outcome},
		{"deployment.started_at", d.StartedAt.UTC().Format(time.RFC3339Nano)},
		{"deployment.finished_at", d.FinishedAt.UTC().Format(time.RFC3339Nano)},
		{"deployment.duration_ms", fmt.Sprint(d.DurationMS)},
		{"deployment.downtime_ms", fmt.Sprint(d.DowntimeMS)},
		{"deployment.outages", fmt.Sprint(len(d.Outages))},
		{"deployment.rolled_back", fmt.Sprint(d.RolledBack)},
		{"deployment.rollback_duration_ms", fmt.Sprint(d.RollbackDurationMS)},
		{"deployment.issues.critical", fmt.Sprint(d.Issues.Critical)},
		{"deployment.issues.warning", fmt.Sprint(d.Issues.Warning)},
		{"deployment.issues.info", fmt.Sprint(d.Issues.Info)},
	}
	if d.ExitCode != nil {
		p = append(p, junitProperty{"deployment.exit_code", fmt.Sprint(*d.ExitCode)})
	}
	if d.ConvergedMS != nil {
		p = append(p, junitProperty{"deployment.converged_ms", fmt.Sprint(*d.ConvergedMS)})
	}
	if d.Reason != "" {
		p = append(p, junitProperty{"deployment.reason", d.Reason})
	}
	keys := make([]string, 0, len(d.PerformanceChange))
	for k := range d.PerformanceChange {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p = append(p, junitProperty{"deployment.performance_change." + k, fmt.Sprintf("%.1f", d.PerformanceChange[k].Percent)})
	}
	return p
}
