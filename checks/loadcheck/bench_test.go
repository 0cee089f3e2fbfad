package loadcheck

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkRun measures the probe's request loop against an in-process
// loopback server: one op is one request. The server shares the process,
// so allocs/op include its own; scripts/bench-load.sh compares with wrk
// against a separate server process.
func BenchmarkRun(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "ok\n")
	}))
	defer srv.Close()
	for _, conns := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("connections=%d", conns), func(b *testing.B) {
			p := New().(*Probe)
			p.URL, p.Connections, p.Requests = srv.URL, conns, max(b.N, 1)
			if err := p.Validate(); err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(b.Context(), 5*time.Minute)
			defer cancel()
			b.ReportAllocs()
			b.ResetTimer()
			obs, err := p.Run(ctx)
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(obs["rps"].(float64), "req/s")
		})
	}
}

// BenchmarkRecord is the per-request bookkeeping on the hot path.
func BenchmarkRecord(b *testing.B) {
	s := newWorkerStats(time.Minute)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.c.reqs.Add(1)
		s.countStatus(200)
		s.recordLatency(time.Duration(800+i%3000) * time.Microsecond)
	}
}
