package serve_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/report"
	"github.com/readyctl/readyctl/internal/serve"
)

// TestSoak runs 1,000 rounds of 100 http items against a loopback target
// with a tiny interval, scraping /ready and /metrics as it goes, and
// requires the goroutine count and the live heap to stay flat after the
// first rounds. READYCTL_SOAK_ROUNDS changes the number of rounds; -short
// and -race (make test: the race detector makes each round ~10x slower)
// run 100.
func TestSoak(t *testing.T) {
	rounds := 1000
	if testing.Short() || raceEnabled {
		rounds = 100
	}
	if v, err := strconv.Atoi(os.Getenv("READYCTL_SOAK_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	const warm = 50
	tg := newTarget(t)
	urls := make([]string, 100)
	for i := range urls {
		urls[i] = "http://" + tg.addr + "/item/" + strconv.Itoa(i)
	}
	path := filepath.Join(t.TempDir(), "c.yaml")
	writeChecklist(t, path, httpChecklist("soak", urls...))
	cl, err := load(path)(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	type sample struct {
		goroutines int
		heap, rss  uint64
	}
	measure := func() sample {
		// The target's connection goroutines of the round just over
		// may still be closing: take the fewest seen over 200ms.
		g := runtime.NumGoroutine()
		for range 20 {
			time.Sleep(10 * time.Millisecond)
			g = min(g, runtime.NumGoroutine())
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return sample{g, ms.HeapAlloc, rss()}
	}
	var n atomic.Int64
	var first, last sample
	done := make(chan struct{})
	notReady := atomic.Int64{}
	t0 := time.Now()
	r := start(t, serve.Options{Interval: time.Nanosecond, Checklist: cl, Check: func(ctx context.Context, cl *checklist.Checklist) (*report.Report, error) {
		// Sampled at the start of a round: the previous round's probes
		// are over, the server's own goroutines are all there is.
		switch int(n.Add(1)) {
		case warm:
			first = measure()
		case rounds + 1:
			last = measure()
			close(done)
			<-ctx.Done()
			return check(ctx, cl)
		}
		rep, err := check(ctx, cl)
		if rep.Verdict != report.Ready {
			notReady.Add(1)
		}
		return rep, err
	}})
	// Readers meanwhile, as Prometheus and a load balancer would be.
	stopScrape := make(chan struct{})
	scraped := make(chan struct{})
	go func() {
		defer close(scraped)
		c := &http.Client{Timeout: 5 * time.Second}
		defer c.CloseIdleConnections()
		for {
			select {
			case <-stopScrape:
				return
			case <-time.After(20 * time.Millisecond):
			}
			for _, p := range []string{"/ready", "/metrics"} {
				if resp, err := c.Get(r.base + p); err == nil {
					resp.Body.Close()
				}
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Minute):
		t.Fatalf("only %d of %d rounds in 10 minutes", n.Load(), rounds)
	}
	close(stopScrape)
	<-scraped
	took := time.Since(t0)
	if err := r.stop(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d rounds of 100 items in %s (%.1f ms/round); after round %d: %d goroutines, heap %.1f MiB, RSS %.1f MiB; after round %d: %d goroutines, heap %.1f MiB, RSS %.1f MiB",
		rounds, took.Round(time.Millisecond), float64(took.Milliseconds())/float64(rounds),
		warm, first.goroutines, mib(first.heap), mib(first.rss), rounds, last.goroutines, mib(last.heap), mib(last.rss))
	if k := notReady.Load(); k > 0 {
		t.Errorf("%d rounds against a healthy target were not ready", k)
	}
	// Noise: a scrape connection or a GC worker may come and go.
	if last.goroutines > first.goroutines+5 {
		t.Errorf("goroutines grew from %d to %d", first.goroutines, last.goroutines)
	}
	// The live heap holds one report, one snapshot and fixed-size
	// histograms; 4 MiB of growth would be a leak of ~40 bytes per item
	// per round.
	if last.heap > first.heap+4<<20 {
		t.Errorf("live heap grew from %.1f to %.1f MiB", mib(first.heap), mib(last.heap))
	}
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// rss is the process's resident set in bytes (Linux), 0 elsewhere.
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
