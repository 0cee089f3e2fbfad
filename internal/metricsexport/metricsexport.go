// Package metricsexport turns the results of one readyctl run into
// Prometheus metrics, so CI and on-call see verdicts on their dashboards:
// as a text file for node_exporter's textfile collector (Write) or
// pushed to a Pushgateway (Push).
//
// It only reports a verdict, never decides or changes one: an export that
// fails is an error for the caller to print, not a reason to exit 1.
//
// Metrics (every series also carries checklist and environment, as labels
// in a textfile and as the Pushgateway grouping key when pushed; an empty
// name or environment is left out):
//
//	readyctl_item_status{id,section,kind,severity,status}  1 for the item's status, 0 for each other status
//	readyctl_item_duration_seconds{id,section,kind,severity}
//	readyctl_run_ready                                      1 ready, 0 not ready
//	readyctl_run_timestamp_seconds                          when the run started, Unix seconds
//	readyctl_run_duration_seconds
//	readyctl_run_items{status}                              items per status, 0 included
//
// readyctl_item_status is a state set (like kube_pod_status_phase): each
// item has one series per status in Statuses, exactly one of them 1. The
// zeros cost a few series per item but let `readyctl_item_status{status="fail"} == 1`
// and `sum by (status) (readyctl_item_status)` work without absent(), and
// a status that changes between runs flips a value instead of leaving a
// stale series behind.
package metricsexport

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Statuses are the item statuses of the report contract, in report order.
var Statuses = []string{"pass", "fail", "error", "skip", "pending", "waived"}

// Run is one readyctl run as plain values; the caller maps its report
// model onto it.
type Run struct {
	// Checklist is the checklist's name (its `name:`).
	Checklist string
	// Environment is the selected --env, or "".
	Environment string
	// Ready is the verdict.
	Ready bool
	// Timestamp is when the run started.
	Timestamp time.Time
	// Duration is how long the whole run took.
	Duration time.Duration
	// Counts is the number of items per status. When nil it is counted
	// from Items.
	Counts map[string]int
	// Items in checklist order.
	Items []Item
	// Deployment is set for runs of readyctl deploy.
	Deployment *Deployment
}

// Item is one checklist item's result.
type Item struct {
	ID, Section, Kind, Severity, Status string
	// Duration is the time the item took, 0 for items that did not run.
	Duration time.Duration
}

// NewRegistry returns a registry holding run's metrics, with checklist and
// environment as labels on every series (the textfile form).
func NewRegistry(run Run) (*prometheus.Registry, error) {
	return newRegistry(run, runLabels(run))
}

// runLabels are the labels that tell runs of different checklists and
// environments apart; empty ones are left out, as Prometheus treats an
// empty label as absent anyway.
func runLabels(run Run) prometheus.Labels {
	l := prometheus.Labels{}
	if run.Checklist != "" {
		l["checklist"] = run.Checklist
	}
	if run.Environment != "" {
		l["environment"] = run.Environment
	}
	return l
}

func newRegistry(run Run, constLabels prometheus.Labels) (*prometheus.Registry, error) {
	gauge := func(name, help string, labels ...string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: constLabels}, labels)
	}
	status := gauge("readyctl_item_status",
		"Status of a checklist item in the last readyctl run: 1 for its status, 0 for the others.",
		"id", "section", "kind", "severity", "status")
	duration := gauge("readyctl_item_duration_seconds",
		"Time a checklist item took in the last readyctl run, 0 if it did not run.",
		"id", "section", "kind", "severity")
	ready := gauge("readyctl_run_ready", "1 if the last readyctl run's verdict was ready, else 0.")
	timestamp := gauge("readyctl_run_timestamp_seconds", "Start of the last readyctl run, in Unix seconds.")
	runDuration := gauge("readyctl_run_duration_seconds", "Time the last readyctl run took.")
	items := gauge("readyctl_run_items", "Number of checklist items per status in the last readyctl run.", "status")

	reg := prometheus.NewRegistry()
	for _, c := range []prometheus.Collector{status, duration, ready, timestamp, runDuration, items} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
	}

	seen := map[string]bool{}
	for _, it := range run.Items {
		if seen[it.ID] {
			return nil, fmt.Errorf("metrics: item id %q appears twice", it.ID)
		}
		seen[it.ID] = true
		for _, s := range statusesWith(it.Status) {
			v := 0.0
			if s == it.Status {
				v = 1
			}
			status.WithLabelValues(it.ID, it.Section, it.Kind, it.Severity, s).Set(v)
		}
		duration.WithLabelValues(it.ID, it.Section, it.Kind, it.Severity).Set(it.Duration.Seconds())
	}

	if run.Ready {
		ready.WithLabelValues().Set(1)
	} else {
		ready.WithLabelValues().Set(0)
	}
	timestamp.WithLabelValues().Set(float64(run.Timestamp.UnixNano()) / 1e9)
	runDuration.WithLabelValues().Set(run.Duration.Seconds())

	counts := run.Counts
	if counts == nil {
		counts = map[string]int{}
		for _, it := range run.Items {
			counts[it.Status]++
		}
	}
	for _, s := range Statuses {
		items.WithLabelValues(s).Set(float64(counts[s]))
	}
	extra := make([]string, 0, len(counts))
	for s := range counts {
		if !known(s) {
			extra = append(extra, s)
		}
	}
	sort.Strings(extra)
	for _, s := range extra {
		items.WithLabelValues(s).Set(float64(counts[s]))
	}
	if run.Deployment != nil {
		if err := registerDeployment(reg, run.Deployment, constLabels); err != nil {
			return nil, err
		}
	}
	return reg, nil
}

// statusesWith is Statuses plus s if s is a status this package does not
// know yet, so a new status still shows up as 1.
func statusesWith(s string) []string {
	if known(s) {
		return Statuses
	}
	return append(append([]string{}, Statuses...), s)
}

func known(s string) bool { return slices.Contains(Statuses, s) }
