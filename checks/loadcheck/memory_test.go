package loadcheck

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// peakMemory runs the probe and samples the heap and stacks in use while
// it runs, returning the highest sample.
func peakMemory(t *testing.T, url string, d time.Duration) (peak uint64, requests int) {
	t.Helper()
	p := mustProbe(t, fmt.Sprintf("url: %s\nconnections: 50\nduration: %s", url, d))
	runtime.GC()
	done := make(chan struct{})
	sampled := make(chan uint64)
	go func() {
		var max uint64
		var ms runtime.MemStats
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			max = maxu(max, ms.HeapInuse+ms.StackInuse)
			select {
			case <-done:
				sampled <- max
				return
			case <-tick.C:
			}
		}
	}()
	obs, err := runProbe(t, p, d+10*time.Second)
	close(done)
	peak = <-sampled
	if err != nil {
		t.Fatal(err)
	}
	return peak, obs["requests"].(int)
}

func maxu(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}

// Latencies go into fixed-size histograms, one per connection: a run four
// times longer sends four times the requests in about the same memory.
func TestMemoryIsFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("15s of load; skipped with -short")
	}
	var n atomic.Int64
	url := serve(t, counting(&n))
	short, shortReqs := peakMemory(t, url, 3*time.Second)
	long, longReqs := peakMemory(t, url, 12*time.Second)
	t.Logf("3s: %d requests, peak %.1f MiB; 12s: %d requests, peak %.1f MiB",
		shortReqs, float64(short)/(1<<20), longReqs, float64(long)/(1<<20))
	if longReqs < 2*shortReqs {
		t.Fatalf("the long run sent %d requests, the short one %d: not a fair comparison", longReqs, shortReqs)
	}
	if limit := short + short/4 + 2<<20; long > limit {
		t.Errorf("peak memory grew from %.1f MiB (3s) to %.1f MiB (12s)", float64(short)/(1<<20), float64(long)/(1<<20))
	}
}
