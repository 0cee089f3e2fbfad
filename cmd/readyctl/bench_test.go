package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// BenchmarkValidate500 runs the real `readyctl validate` on a 500-item
// checklist as a process and reports its wall time and peak memory (max
// RSS), as a user would see them.
func BenchmarkValidate500(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("version: 1\nname: big\nvars:\n  api: http://127.0.0.1:8080\nsections:\n")
	for s := 0; s < 10; s++ {
		fmt.Fprintf(&sb, "  - id: section-%d\n    items:\n", s)
		for i := 0; i < 50; i++ {
			fmt.Fprintf(&sb, "      - id: item-%d-%d\n        http:\n          url: ${api}/%d\n          expect: ['json.status == \"ok\"', 'latency < duration(\"1s\")']\n", s, i, i)
		}
	}
	dir := b.TempDir()
	path := filepath.Join(dir, "big.yaml")
	os.WriteFile(path, []byte(sb.String()), 0o644)
	var wall time.Duration
	var maxRSS int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		// runMeasured reads the child's own peak: its rusage would report
		// this benchmark's (Linux keeps the parent's across exec).
		maxRSS = max(maxRSS, runMeasured(b, "validate", "-f", path)>>10)
		wall += time.Since(start)
	}
	b.ReportMetric(wall.Seconds()*1000/float64(b.N), "wall-ms")
	b.ReportMetric(float64(maxRSS)/1024, "maxrss-MiB")
}
