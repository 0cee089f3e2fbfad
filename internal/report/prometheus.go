package report

import (
	"io"
	"strings"
	"time"

	"github.com/readyctl/readyctl/internal/metricsexport"
)

func init() { Register("prometheus", renderPrometheus) }

// renderPrometheus writes the run as Prometheus metrics (text exposition
// format), for node_exporter's textfile collector: -o prometheus=run.prom.
func renderPrometheus(w io.Writer, r *Report, _ Options) error {
	return metricsexport.Write(w, MetricsRun(r))
}

// MetricsRun maps a report onto the metrics export's model; the CLI's
// --pushgateway pushes the same.
func MetricsRun(r *Report) metricsexport.Run {
	run := metricsexport.Run{
		Checklist:   r.Checklist.Name,
		Environment: r.Environment,
		Ready:       r.Verdict == Ready,
		Timestamp:   r.StartedAt,
		Duration:    time.Duration(r.DurationMS) * time.Millisecond,
	}
	for _, it := range r.Items {
		run.Items = append(run.Items, metricsexport.Item{
			ID: it.ID, Section: it.Section, Kind: it.Kind, Severity: it.Severity, Status: string(it.Status),
			Duration: time.Duration(it.DurationMS) * time.Millisecond,
		})
	}
	run.Deployment = deploymentMetrics(r)
	return run
}

func deploymentMetrics(r *Report) *metricsexport.Deployment {
	d := r.Deployment
	if d == nil {
		return nil
	}
	m := &metricsexport.Deployment{
		Duration: time.Duration(d.DurationMS) * time.Millisecond, Downtime: time.Duration(d.DowntimeMS) * time.Millisecond,
		RollbackDuration: time.Duration(d.RollbackDurationMS) * time.Millisecond,
		Outages:          len(d.Outages), RolledBack: d.RolledBack,
		Succeeded: d.Outcome == OutcomeDeployed && r.Verdict == Ready,
		Issues:    map[string]int{"critical": d.Issues.Critical, "warning": d.Issues.Warning, "info": d.Issues.Info},
	}
	if d.ConvergedMS != nil {
		c := time.Duration(*d.ConvergedMS) * time.Millisecond
		m.Converged = &c
	}
	for k, c := range d.PerformanceChange {
		// Item ids have no dots; an observation may ("findings.critical").
		item, obs, _ := strings.Cut(k, ".")
		m.PerformanceChange = append(m.PerformanceChange, metricsexport.PerformanceChange{Item: item, Observation: obs, Percent: c.Percent})
	}
	return m
}
