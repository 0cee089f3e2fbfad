package serve

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"

	"github.com/readyctl/readyctl/internal/metricsexport"
	"github.com/readyctl/readyctl/internal/report"
)

// metrics are the server's own: rounds, their durations, per-item
// duration histograms and reload outcomes. The last round's metrics (the
// ones `-o prometheus` writes) come from its snapshot and are gathered
// beside these.
type metrics struct {
	reg           *prometheus.Registry
	rounds        *prometheus.CounterVec
	roundDuration prometheus.Histogram
	itemDuration  *prometheus.HistogramVec
	reloadSuccess prometheus.Gauge
}

// itemBuckets span what a probe takes: a loopback TCP connect to an item
// that runs into a 30s timeout.
var itemBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

func newMetrics() (*metrics, error) {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		rounds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "readyctl_rounds_total",
			Help: "Rounds readyctl serve has finished, by verdict.",
		}, []string{"verdict"}),
		roundDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "readyctl_round_duration_seconds",
			Help:    "Time one round of readyctl serve took.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300},
		}),
		itemDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "readyctl_item_check_duration_seconds",
			Help:    "Time a checklist item took in each round of readyctl serve (items that ran).",
			Buckets: itemBuckets,
		}, []string{"id", "section", "kind", "severity"}),
		reloadSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "readyctl_checklist_reload_success",
			Help: "1 if the last checklist (re)load succeeded, 0 if it was refused and the previous checklist keeps running.",
		}),
	}
	for _, c := range []prometheus.Collector{
		m.rounds, m.roundDuration, m.itemDuration, m.reloadSuccess,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := m.reg.Register(c); err != nil {
			return nil, fmt.Errorf("serve metrics: %w", err)
		}
	}
	// Both verdicts exist from the start, so rate() sees the first one.
	m.rounds.WithLabelValues(report.Ready)
	m.rounds.WithLabelValues(report.NotReady)
	return m, nil
}

func (m *metrics) observeRound(rep *report.Report, took time.Duration) {
	m.rounds.WithLabelValues(rep.Verdict).Inc()
	m.roundDuration.Observe(took.Seconds())
	for _, it := range rep.Items {
		if it.Attempts == 0 {
			continue // skipped or not selected: nothing was measured
		}
		m.itemDuration.WithLabelValues(it.ID, it.Section, it.Kind, it.Severity).Observe(float64(it.DurationMS) / 1000)
	}
}

// forgetItems starts the item histograms afresh after a reload, so items
// the new checklist dropped or moved (another section, kind or severity)
// leave no series behind; rate() reads the restart as a counter reset.
func (m *metrics) forgetItems() { m.itemDuration.Reset() }

// gatherer is what /metrics serves: the server's metrics and the last
// round's. Before the first round finishes, readyctl_run_ready is 0 (with
// the checklist's labels): a fleet query such as min(readyctl_run_ready)
// must not read a server that has not judged yet as absent, let alone
// ready.
func (s *Server) gatherer() prometheus.Gatherer {
	cl := s.opts.Checklist
	before, _ := metricsexport.NewRegistry(metricsexport.Run{Checklist: cl.Name, Environment: cl.Environment, Timestamp: time.Now()})
	last := prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		snap := s.last.Load()
		if snap == nil {
			return before.Gather()
		}
		return snap.run.Gather()
	})
	return prometheus.Gatherers{s.metrics.reg, last}
}
