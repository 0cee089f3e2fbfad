package runner_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/report"
	"github.com/readyctl/readyctl/internal/runner"
)

// pooled records the round's pool it was given (checks.Shared): 0 when
// none, else the number of the pool's shared value. It fails its first
// Fails runs.
type pooled struct {
	Name  string `yaml:"name"`
	Fails int    `yaml:"fails"`
}

type poolToken struct{ n int }

var poolLog struct {
	sync.Mutex
	made     int
	released map[int]bool
	runs     map[string]int
	seen     []string // "NAME: pool N (released: [...])"
}

func resetPoolLog() {
	poolLog.Lock()
	defer poolLog.Unlock()
	poolLog.made, poolLog.released, poolLog.runs, poolLog.seen = 0, map[int]bool{}, map[string]int{}, nil
}

func (p *pooled) Validate() error { return nil }

func (p *pooled) Run(ctx context.Context) (checks.Observations, error) {
	v, ok, err := checks.Shared(ctx, poolToken{}, func(context.Context) (any, func(), error) {
		poolLog.Lock()
		defer poolLog.Unlock()
		poolLog.made++
		n := poolLog.made
		return n, func() {
			poolLog.Lock()
			defer poolLog.Unlock()
			poolLog.released[n] = true
		}, nil
	})
	if err != nil {
		return nil, err
	}
	n := 0
	if ok {
		n = v.(int)
	}
	poolLog.Lock()
	defer poolLog.Unlock()
	poolLog.runs[p.Name]++
	poolLog.seen = append(poolLog.seen, fmt.Sprintf("%s: pool %d, pool 1 released %v", p.Name, n, poolLog.released[1]))
	if poolLog.runs[p.Name] <= p.Fails {
		return checks.Observations{}, checks.Fail("", "run %d of %s fails", poolLog.runs[p.Name], p.Name)
	}
	return checks.Observations{}, nil
}

func init() {
	checks.Register(checks.Kind{Name: "pooled", New: func() checks.Probe { return &pooled{} }})
}

// The items of a round share one pool; a retry gets none; the next
// --wait round gets a new one, after the last was released; nothing is
// left unreleased when the run ends.
func TestPoolPerRoundNoneForRetries(t *testing.T) {
	resetPoolLog()
	cl := load(t, `
      - {id: a, pooled: {name: a}}
      - {id: b, retries: 1, depends_on: [a], pooled: {name: b, fails: 1}}
      - {id: c, depends_on: [b], pooled: {name: c, fails: 1}}
`)
	rep := runner.Run(context.Background(), cl, runner.Options{Wait: time.Minute, Clock: newFakeClock()})
	if rep.Verdict != report.Ready || rep.Rounds != 2 {
		t.Fatalf("verdict %s after %d rounds", rep.Verdict, rep.Rounds)
	}
	want := []string{
		"a: pool 1, pool 1 released false",
		"b: pool 1, pool 1 released false", // first attempt: the round's pool
		"b: pool 0, pool 1 released false", // its retry: none
		"c: pool 1, pool 1 released false",
		"c: pool 2, pool 1 released true", // round 2: a new pool, the old one released
	}
	poolLog.Lock()
	defer poolLog.Unlock()
	if fmt.Sprint(poolLog.seen) != fmt.Sprint(want) {
		t.Errorf("pools seen:\n%q\nwant\n%q", poolLog.seen, want)
	}
	if !poolLog.released[1] || !poolLog.released[2] || poolLog.made != 2 {
		t.Errorf("made %d pools' values, released %v; want 2, both released", poolLog.made, poolLog.released)
	}
}

// runner.Once (a deployment's watched samples) shares nothing: each
// sample is one item's fresh look at the target.
func TestOnceHasNoPool(t *testing.T) {
	resetPoolLog()
	cl := load(t, "      - {id: a, pooled: {name: a}}\n")
	res := runner.Once(context.Background(), cl, cl.Items()[0], runner.Options{})
	if res.Status != report.Pass {
		t.Fatalf("%s: %s", res.Status, res.Message)
	}
	poolLog.Lock()
	defer poolLog.Unlock()
	if len(poolLog.seen) != 1 || poolLog.seen[0] != "a: pool 0, pool 1 released false" {
		t.Errorf("seen %q, want no pool", poolLog.seen)
	}
}
