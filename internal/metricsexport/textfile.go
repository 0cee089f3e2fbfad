package metricsexport

import (
	"fmt"
	"io"

	"github.com/prometheus/common/expfmt"
)

// Write writes run's metrics to w in the Prometheus text exposition format,
// the format of node_exporter's textfile collector. readyctl's `-o
// prometheus=PATH` writes it through a temporary file renamed over PATH
// (mode 0644), so a collector never reads half a file: name it NAME.prom in
// node_exporter's --collector.textfile.directory.
func Write(w io.Writer, run Run) error {
	reg, err := NewRegistry(run)
	if err != nil {
		return err
	}
	families, err := reg.Gather()
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range families {
		if err := enc.Encode(mf); err != nil {
			return fmt.Errorf("write metrics: %w", err)
		}
	}
	return nil
}
