package runner_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	_ "github.com/readyctl/readyctl/checks/httpcheck"
	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/report"
	"github.com/readyctl/readyctl/internal/runner"
)

// BenchmarkRunnerOverhead runs 1,000 http items against a loopback server
// that answers after 50ms, at concurrency 100. The ideal wall time is
// 1000/100 × 50ms = 0.5s; the reported "overhead-x" is wall/ideal.
func BenchmarkRunnerOverhead(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(50 * time.Millisecond)
		w.Write([]byte(`{"status":"ok"}`))
	}))
	defer srv.Close()
	var sb strings.Builder
	sb.WriteString("version: 1\nname: bench\nsections:\n  - id: s\n    items:\n")
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&sb, "      - id: item-%d\n        http:\n          url: %s/health\n          expect: ['json.status == \"ok\"']\n", i, srv.URL)
	}
	cl, err := checklist.Parse("bench.yaml", []byte(sb.String()), checklist.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		rep := runner.Run(context.Background(), cl, runner.Options{Concurrency: 100})
		total += time.Since(start)
		if rep.Verdict != report.Ready {
			b.Fatalf("verdict %s: %+v", rep.Verdict, rep.Summary)
		}
	}
	wall := total / time.Duration(b.N)
	b.ReportMetric(wall.Seconds(), "wall-s")
	b.ReportMetric(wall.Seconds()/0.5, "overhead-x")
}
