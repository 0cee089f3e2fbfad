package flowcheck_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/checks/flowcheck"
	"github.com/readyctl/readyctl/checks/httpcheck"
	"github.com/readyctl/readyctl/internal/probetest"
)

// The budget: a 5-step flow adds at most 15% over the same five
// requests made by five http items in a row. Both run the probes
// directly, as the runner does, against one loopback server:
//
//	go test -run '^$' -bench 'Five' -benchmem -count 5 ./checks/flowcheck/
func benchServer(b *testing.B) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":%q,"ok":true}`, r.URL.Path)
	}))
	b.Cleanup(srv.Close)
	return srv.URL
}

func BenchmarkFiveHTTPItems(b *testing.B) {
	base := benchServer(b)
	probes := make([]*httpcheck.Probe, 5)
	for i := range probes {
		probes[i] = httpcheck.New()
		probetest.Load(b, probes[i], fmt.Sprintf("url: %s/step/%d\nstatus: 200\n", base, i))
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for _, p := range probes {
			if _, err := p.Run(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkFiveStepFlow(b *testing.B) {
	base := benchServer(b)
	var sb strings.Builder
	sb.WriteString("steps:\n")
	for i := range 5 {
		fmt.Fprintf(&sb, "  - {url: '%s/step/%d', status: 200}\n", base, i)
	}
	p := flowcheck.New()
	probetest.Load(b, p, sb.String())
	ctx := checks.WithSecrets(context.Background(), func(string) {})
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := p.Run(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFiveStepFlowCaptures is the same flow where each step captures
// a value the next one sends: the cost of captures and ${NAME}.
func BenchmarkFiveStepFlowCaptures(b *testing.B) {
	base := benchServer(b)
	var sb strings.Builder
	sb.WriteString("steps:\n")
	prev := "start"
	for i := range 5 {
		fmt.Fprintf(&sb, "  - {url: '%s/step/%d/${v%d}', status: 200, capture: {v%d: json.id}, expect: ['json.ok']}\n", base, i, i, i+1)
		_ = prev
	}
	src := strings.Replace(sb.String(), "/${v0}", "", 1)
	p := flowcheck.New()
	probetest.Load(b, p, src)
	ctx := checks.WithSecrets(context.Background(), func(string) {})
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := p.Run(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFlowOverhead measures the same comparison paired: each round runs
// the five http items, then the five-step flow, so that the noise of a
// shared machine falls on both alike; it reports the median of each. Run
// it with FLOW_OVERHEAD=1 (it takes a few seconds and asserts nothing on
// a loaded machine but the 15% budget on medians).
func TestFlowOverhead(t *testing.T) {
	if os.Getenv("FLOW_OVERHEAD") == "" {
		t.Skip("set FLOW_OVERHEAD=1 to measure")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":%q,"ok":true}`, r.URL.Path)
	}))
	defer srv.Close()
	probes := make([]*httpcheck.Probe, 5)
	var sb strings.Builder
	sb.WriteString("steps:\n")
	for i := range probes {
		probes[i] = httpcheck.New()
		probetest.Load(t, probes[i], fmt.Sprintf("url: %s/step/%d\nstatus: 200\n", srv.URL, i))
		fmt.Fprintf(&sb, "  - {url: '%s/step/%d', status: 200}\n", srv.URL, i)
	}
	flow := flowcheck.New()
	probetest.Load(t, flow, sb.String())
	ctx := checks.WithSecrets(context.Background(), func(string) {})
	const rounds = 400
	var items, flows []time.Duration
	for range rounds {
		start := time.Now()
		for _, p := range probes {
			if _, err := p.Run(ctx); err != nil {
				t.Fatal(err)
			}
		}
		items = append(items, time.Since(start))
		start = time.Now()
		if _, err := flow.Run(ctx); err != nil {
			t.Fatal(err)
		}
		flows = append(flows, time.Since(start))
	}
	median := func(d []time.Duration) time.Duration {
		slices.Sort(d)
		return d[len(d)/2]
	}
	mi, mf := median(items), median(flows)
	overhead := float64(mf-mi) / float64(mi) * 100
	t.Logf("median of %d rounds: 5 http items %s, 5-step flow %s: %+.1f%%", rounds, mi, mf, overhead)
	if overhead > 15 {
		t.Errorf("flow overhead %+.1f%% is over the 15%% budget", overhead)
	}
}
