package platform

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// nodeMetrics is a node_exporter stand-in: CPU seconds per mode that grow
// as a mostly idle two-core machine's would, memory, filesystem and
// network series. Counters move on every scrape, so rates exist from the
// second scrape on.
func nodeMetrics() (prometheus.Gatherer, func()) {
	reg := prometheus.NewRegistry()
	cpu := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "node_cpu_seconds_total", Help: "Seconds the CPUs spent in each mode."}, []string{"cpu", "mode"})
	memTotal := prometheus.NewGauge(prometheus.GaugeOpts{Name: "node_memory_MemTotal_bytes", Help: "Memory information field MemTotal_bytes."})
	memAvail := prometheus.NewGauge(prometheus.GaugeOpts{Name: "node_memory_MemAvailable_bytes", Help: "Memory information field MemAvailable_bytes."})
	fsAvail := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "node_filesystem_avail_bytes", Help: "Filesystem space available."}, []string{"mountpoint"})
	fsSize := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "node_filesystem_size_bytes", Help: "Filesystem size."}, []string{"mountpoint"})
	netRx := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "node_network_receive_bytes_total", Help: "Network device statistic receive_bytes."}, []string{"device"})
	reg.MustRegister(cpu, memTotal, memAvail, fsAvail, fsSize, netRx)
	memTotal.Set(8 << 30)
	memAvail.Set(5 << 30)
	fsSize.WithLabelValues("/").Set(100 << 30)
	fsAvail.WithLabelValues("/").Set(60 << 30)
	var mu sync.Mutex
	return reg, func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range []string{"0", "1"} {
			cpu.WithLabelValues(c, "idle").Add(0.88)
			cpu.WithLabelValues(c, "user").Add(0.08)
			cpu.WithLabelValues(c, "system").Add(0.04)
		}
		netRx.WithLabelValues("eth0").Add(125000)
	}
}

// gatewayMetrics are the API gateway's request metrics as Prometheus
// scrapes them: per scrape, a steady stream of requests; the gateway-slow
// and error-spike faults change their latency and status mix.
func (p *Platform) gatewayMetrics() (prometheus.Gatherer, func()) {
	reg := prometheus.NewRegistry()
	reqs := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "http_requests_total", Help: "Requests by status code."}, []string{"code"})
	dur := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "http_request_duration_seconds", Help: "Request latency.",
		Buckets: []float64{0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}})
	reg.MustRegister(reqs, dur)
	var mu sync.Mutex
	return reg, func() {
		mu.Lock()
		defer mu.Unlock()
		latency := 0.04
		if p.fault == "gateway-slow" {
			latency = 2.4
		}
		for i := 0; i < 100; i++ {
			reqs.WithLabelValues("200").Inc()
			dur.Observe(latency)
		}
		if p.fault == "error-spike" {
			reqs.WithLabelValues("500").Add(10)
		}
	}
}
