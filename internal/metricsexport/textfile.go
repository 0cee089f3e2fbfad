package metricsexport

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// WriteTextfile writes run's metrics to path in the Prometheus text format,
// atomically: client_golang writes a temporary file beside path (named
// after it plus a random suffix, so node_exporter's *.prom glob skips it),
// makes it world-readable (0644) and renames it over path, so a collector
// never reads half a file. For node_exporter name it NAME.prom in its
// --collector.textfile.directory.
func WriteTextfile(path string, run Run) error {
	reg, err := NewRegistry(run)
	if err != nil {
		return err
	}
	if err := prometheus.WriteToTextfile(path, reg); err != nil {
		return fmt.Errorf("write metrics to %s: %w", path, err)
	}
	return nil
}
