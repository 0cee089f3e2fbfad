package metricsexport

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Deployment is the record of a `readyctl deploy` run, as plain values.
//
//	readyctl_deployment_duration_seconds            the deploy command's wall time
//	readyctl_deployment_downtime_seconds            union of the watched critical items' outages
//	readyctl_deployment_outages                     outage windows, any watched item
//	readyctl_deployment_rolled_back                 1 if --rollback ran
//	readyctl_deployment_rollback_duration_seconds
//	readyctl_deployment_converged_seconds           post-deploy ready, after the command ended (absent if never)
//	readyctl_deployment_succeeded                   1 deployed and ready, else 0
//	readyctl_deployment_issues{severity}            items failing after the deployment
//	readyctl_deployment_performance_change_percent{item,observation}
type Deployment struct {
	Duration, Downtime, RollbackDuration time.Duration
	Converged                            *time.Duration
	Outages                              int
	RolledBack, Succeeded                bool
	Issues                               map[string]int // critical, warning, info
	// PerformanceChange is keyed by item and observation.
	PerformanceChange []PerformanceChange
}

// PerformanceChange is one key observation's change against the baseline.
type PerformanceChange struct {
	Item, Observation string
	Percent           float64
}

func registerDeployment(reg *prometheus.Registry, d *Deployment, constLabels prometheus.Labels) error {
	gauge := func(name, help string, labels ...string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: constLabels}, labels)
	}
	b := func(v bool) float64 {
		if v {
			return 1
		}
		return 0
	}
	duration := gauge("readyctl_deployment_duration_seconds", "Wall time of the deploy command in the last readyctl deploy.")
	downtime := gauge("readyctl_deployment_downtime_seconds", "Time any watched critical item failed during the last readyctl deploy.")
	outages := gauge("readyctl_deployment_outages", "Outage windows of watched items in the last readyctl deploy.")
	rolledBack := gauge("readyctl_deployment_rolled_back", "1 if the last readyctl deploy ran its rollback command.")
	rollback := gauge("readyctl_deployment_rollback_duration_seconds", "Wall time of the rollback command in the last readyctl deploy, 0 if none ran.")
	succeeded := gauge("readyctl_deployment_succeeded", "1 if the last readyctl deploy deployed and ended ready.")
	issues := gauge("readyctl_deployment_issues", "Items failing after the last readyctl deploy, by severity.", "severity")
	perf := gauge("readyctl_deployment_performance_change_percent", "Change of a key observation against the pre-deploy baseline, in percent.", "item", "observation")
	cs := []prometheus.Collector{duration, downtime, outages, rolledBack, rollback, succeeded, issues, perf}
	var converged *prometheus.GaugeVec
	if d.Converged != nil {
		converged = gauge("readyctl_deployment_converged_seconds", "Time after the deploy command ended until the post-deploy phase was ready.")
		cs = append(cs, converged)
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
	}
	duration.WithLabelValues().Set(d.Duration.Seconds())
	downtime.WithLabelValues().Set(d.Downtime.Seconds())
	outages.WithLabelValues().Set(float64(d.Outages))
	rolledBack.WithLabelValues().Set(b(d.RolledBack))
	rollback.WithLabelValues().Set(d.RollbackDuration.Seconds())
	succeeded.WithLabelValues().Set(b(d.Succeeded))
	for _, s := range []string{"critical", "warning", "info"} {
		issues.WithLabelValues(s).Set(float64(d.Issues[s]))
	}
	for _, p := range d.PerformanceChange {
		perf.WithLabelValues(p.Item, p.Observation).Set(p.Percent)
	}
	if converged != nil {
		converged.WithLabelValues().Set(d.Converged.Seconds())
	}
	return nil
}
