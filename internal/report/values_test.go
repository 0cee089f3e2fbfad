package report

import (
	"slices"
	"testing"
	"time"
)

// TestKeyObservationsComeFirst: the kind's key observations lead, in its
// order (a load test: rps, p95, p99, error_rate), not the first ones
// alphabetically; dotted names read nested maps.
func TestKeyObservationsComeFirst(t *testing.T) {
	obs := map[string]any{
		"dropped": nil, "duration": 5 * time.Second, "errors": 3, "max": time.Second, "mean": time.Millisecond,
		"min": time.Microsecond, "p50": time.Millisecond, "requests": 100, "rps": 20.0,
		"p95": 2 * time.Millisecond, "p99": 3 * time.Millisecond, "error_rate": 0.03,
		"migrations": map[string]any{"version": "42"},
	}
	got := keyObservations(obs, 5, "rps", "p95", "p99", "error_rate", "migrations.version", "absent")
	want := []string{"rps=20", "p95=2ms", "p99=3ms", "error_rate=0.03", `migrations.version="42"`}
	if !slices.Equal(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	if got := keyObservations(obs, 2); !slices.Equal(got, []string{"dropped=nil", "duration=5s"}) {
		t.Errorf("without key: %v", got)
	}
}
