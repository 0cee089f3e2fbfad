package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/readyctl/readyctl/internal/cli"
	"github.com/readyctl/readyctl/internal/cmdutil"
)

// benchDelay is the loopback server's service time: the ideal run of N
// items at concurrency C takes ceil(N/C) of it.
const benchDelay = 50 * time.Millisecond

// BenchmarkCheck is the whole `readyctl check --format json -o json=FILE`
// of many http items against a loopback server that answers after
// benchDelay (issue 16 §2): loading, running, the report and its
// renderings. ratio is wall time over the ideal; B/op and allocs/op are
// the run's allocations. Profile with
//
//	go test ./cmd/readyctl -run '^$' -bench 'Check/items=1000' -benchtime 5x \
//	  -cpuprofile cpu.out -memprofile mem.out
//
// (with READYCTL_BENCH_ADDR, see benchServer, for profiles of readyctl alone).
// BenchmarkCheckProcess measures the same as whole processes: max RSS.
func BenchmarkCheck(b *testing.B) {
	for _, size := range scaleSizes {
		b.Run(fmt.Sprintf("items=%d/concurrency=%d", size.items, size.concurrency), func(b *testing.B) {
			b.Setenv("XDG_CONFIG_HOME", b.TempDir())
			path, out, args, ideal := scaleSetup(b, size.items, size.concurrency)
			b.ReportAllocs()
			var wall time.Duration
			for b.Loop() {
				streams, _, stderr := cmdutil.TestIOStreams(false)
				start := time.Now()
				code := cli.Main(context.Background(), append([]string{"check", "-f", path}, args...), streams)
				wall += time.Since(start)
				if code != 0 {
					b.Fatalf("exit %d: %s", code, stderr)
				}
				b.StopTimer()
				checkAllPassed(b, out, size.items)
				b.StartTimer()
			}
			b.ReportMetric(float64(wall)/float64(b.N)/float64(ideal), "ratio")
		})
	}
}

// BenchmarkCheckProcess is BenchmarkCheck with readyctl as its own process,
// as a user runs it: wall time over the ideal and peak memory (the largest
// of the runs), the numbers issue 16 sets targets for
// (scripts/bench-scale.sh prints the same as medians).
func BenchmarkCheckProcess(b *testing.B) {
	for _, size := range scaleSizes {
		b.Run(fmt.Sprintf("items=%d/concurrency=%d", size.items, size.concurrency), func(b *testing.B) {
			path, out, args, ideal := scaleSetup(b, size.items, size.concurrency)
			var wall time.Duration
			var peak int64
			for b.Loop() {
				start := time.Now()
				rss := runMeasured(b, append([]string{"check", "-f", path}, args...)...)
				wall += time.Since(start)
				peak = max(peak, rss)
				b.StopTimer()
				checkAllPassed(b, out, size.items)
				b.StartTimer()
			}
			b.ReportMetric(float64(wall)/float64(b.N)/float64(ideal), "ratio")
			b.ReportMetric(float64(peak)/(1<<20), "maxrss-MiB")
		})
	}
}

// peakFileEnv names the file a measured readyctl process writes its peak
// RSS to. The child's rusage cannot say it: Linux carries the high-water
// mark of the forking parent (this benchmark, tens of MiB) across exec.
const peakFileEnv = "READYCTL_BENCH_PEAK_FILE"

func init() {
	path := os.Getenv(peakFileEnv)
	if path == "" {
		return
	}
	code := run()
	status, err := os.ReadFile("/proc/self/status")
	if err == nil {
		for _, line := range strings.Split(string(status), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				os.WriteFile(path, []byte(strings.TrimSpace(v)), 0o600)
			}
		}
	}
	os.Exit(code)
}

// runMeasured runs readyctl with args as a process, requires exit 0 and
// returns its peak RSS in bytes.
func runMeasured(b *testing.B, args ...string) int64 {
	b.Helper()
	self, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	peakFile := filepath.Join(dir, "peak")
	cmd := exec.Command(self, args...)
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+dir, peakFileEnv+"="+peakFile)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		b.Fatalf("readyctl %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	data, err := os.ReadFile(peakFile)
	if err != nil {
		b.Skipf("peak RSS not measurable here (no /proc/self/status VmHWM): %v", err)
	}
	kb, err := strconv.ParseInt(strings.TrimSuffix(string(data), " kB"), 10, 64)
	if err != nil {
		b.Fatalf("VmHWM %q: %v", data, err)
	}
	return kb << 10
}

var scaleSizes = []struct{ items, concurrency int }{{1000, 100}, {10000, 500}}

// scaleSetup starts the server and writes the checklist; it returns the
// checklist's path, the JSON report's path, the flags after -f PATH and
// the ideal wall time.
func scaleSetup(b testing.TB, items, concurrency int) (path, out string, args []string, ideal time.Duration) {
	addr := benchServer(b)
	dir := b.TempDir()
	path = filepath.Join(dir, "checklist.yaml")
	if err := os.WriteFile(path, scaleChecklist(items, addr), 0o600); err != nil {
		b.Fatal(err)
	}
	out = filepath.Join(dir, "report.json")
	args = []string{"--concurrency", fmt.Sprint(concurrency), "--format", "json", "-o", "json=" + out}
	return path, out, args, time.Duration((items+concurrency-1)/concurrency) * benchDelay
}

// checkAllPassed fails b unless the report at path has n items, all passed:
// a fast run with a wrong verdict is no result.
func checkAllPassed(b *testing.B, path string, n int) {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	var rep struct {
		Verdict string
		Summary struct{ Total, Pass int }
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		b.Fatal(err)
	}
	if rep.Verdict != "ready" || rep.Summary.Pass != n {
		b.Fatalf("verdict %s, %d of %d passed", rep.Verdict, rep.Summary.Pass, n)
	}
}

// benchServer answers every request after benchDelay, on loopback, until
// the benchmark ends. READYCTL_BENCH_ADDR names a server already running
// instead (internal/tools/benchserver -delay 50ms), which keeps the
// server's work out of profiles.
func benchServer(b testing.TB) string {
	if addr := os.Getenv("READYCTL_BENCH_ADDR"); addr != "" {
		return addr
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(benchDelay)
		w.Write([]byte("ok\n"))
	})}
	go srv.Serve(l)
	b.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

// scaleChecklist is n plain GET items in one section, the target through
// a variable as in a real checklist (scripts/bench-scale.sh writes the
// same).
func scaleChecklist(n int, addr string) []byte {
	var s strings.Builder
	fmt.Fprintf(&s, "version: 1\nname: scale %d\nvars:\n  target: http://%s\nsections:\n  - id: scale\n    title: Scale\n    items:\n", n, addr)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&s, "      - id: item-%d\n        http: {url: \"${target}/item/%d\"}\n", i, i)
	}
	return []byte(s.String())
}
