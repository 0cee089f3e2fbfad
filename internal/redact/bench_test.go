package redact

import (
	"testing"
	"time"
)

// BenchmarkMapObservations masks one http item's observations, as the
// runner does for every item of a run.
func BenchmarkMapObservations(b *testing.B) {
	r := New([]string{"s3cret-token"})
	obs := map[string]any{
		"status": 200, "latency": 51 * time.Millisecond, "url": "http://127.0.0.1:8080/item/1", "body": "ok\n", "json": nil,
		"headers": map[string]any{"content-length": "3", "content-type": "text/plain", "date": "Sat, 28 Nov 2026 18:00:00 GMT"},
	}
	b.ReportAllocs()
	for b.Loop() {
		r.Map(obs)
	}
}
