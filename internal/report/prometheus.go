package report

import (
	"io"
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
	return run
}
