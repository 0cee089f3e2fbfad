package runner_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/runner"
)

// keyProbe is a test kind with declared observations; its behaviour is
// set by mode.
type keyProbe struct {
	Mode string `yaml:"mode"` // pass, big, config, config-late
}

var keyProbeCalls = map[string]*int{}

func (p *keyProbe) Validate() error { return nil }

func (p *keyProbe) Run(ctx context.Context) (checks.Observations, error) {
	n := keyProbeCalls[p.Mode]
	if n == nil {
		n = new(int)
		keyProbeCalls[p.Mode] = n
	}
	*n++
	obs := checks.Observations{"aaa": 1, "bbb": 2, "rps": 3.5, "p99": 20 * time.Millisecond, "items": []any{}}
	switch p.Mode {
	case "big":
		items := make([]any, 100_000)
		for i := range items {
			items[i] = i
		}
		obs["items"] = items
	case "config":
		return obs, checks.WithReason(checks.ReasonConfig, errors.New("window does not fit"))
	case "config-late":
		<-ctx.Done()
		return obs, checks.WithReason(checks.ReasonConfig, fmt.Errorf("window does not fit: %w", ctx.Err()))
	}
	return obs, nil
}

func init() {
	checks.Register(checks.Kind{Name: "fakekey", New: func() checks.Probe { return &keyProbe{Mode: "pass"} }, Observations: []checks.Observation{
		{Name: "aaa", Type: checks.TypeInt, Doc: "a"},
		{Name: "bbb", Type: checks.TypeInt, Doc: "b"},
		{Name: "rps", Type: checks.TypeFloat, Doc: "rate", Key: true},
		{Name: "p99", Type: checks.TypeDuration, Doc: "p99", Key: true},
		{Name: "items", Type: checks.TypeList, Doc: "items"},
	}})
}

// TestKeyObservationsFromKind: the report item carries the names the kind
// marks as key, in the kind's order.
func TestKeyObservationsFromKind(t *testing.T) {
	cl := load(t, "      - {id: k, fakekey: {expect: ['aaa > 5']}}\n")
	rep := runner.Run(context.Background(), cl, runner.Options{})
	it := rep.Items[0]
	if !slices.Equal(it.Key, []string{"rps", "p99"}) {
		t.Errorf("key = %v, want [rps p99]", it.Key)
	}
	if it.Message != "aaa > 5: aaa was 1" {
		t.Errorf("message %q", it.Message)
	}
}

// TestConfigErrorIsNeitherRetriedNorTimeout: a configuration problem found
// at run time is reported as such, once.
func TestConfigErrorIsNeitherRetriedNorTimeout(t *testing.T) {
	for _, mode := range []string{"config", "config-late"} {
		keyProbeCalls[mode] = new(int)
		cl := load(t, fmt.Sprintf("      - {id: c, timeout: 200ms, retries: 3, fakekey: {mode: %s}}\n", mode))
		rep := runner.Run(context.Background(), cl, runner.Options{})
		it := rep.Items[0]
		if it.Status != "error" || it.Reason != checks.ReasonConfig || it.Attempts != 1 || *keyProbeCalls[mode] != 1 {
			t.Errorf("%s: %s %s after %d attempts (%d calls): %s", mode, it.Status, it.Reason, it.Attempts, *keyProbeCalls[mode], it.Message)
		}
		if !strings.Contains(it.Message, "window does not fit") {
			t.Errorf("%s: message %q", mode, it.Message)
		}
	}
}

// TestExpectEvaluationStopsAtItemTimeout: a runaway expression is cut off
// at the attempt's deadline and the message says so.
func TestExpectEvaluationStopsAtItemTimeout(t *testing.T) {
	cl := load(t, "      - {id: e, timeout: 300ms, fakekey: {mode: big, expect: ['all(items, {all(items, {true})})']}}\n")
	start := time.Now()
	rep := runner.Run(context.Background(), cl, runner.Options{})
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %s, want about 300ms", d)
	}
	it := rep.Items[0]
	want := "expect[0] all(items, {all(items, {true})}): evaluation did not finish within the item's timeout 300ms"
	if it.Status != "error" || it.Reason != checks.ReasonTimeout || it.Message != want {
		t.Errorf("%s %s %q, want error timeout %q", it.Status, it.Reason, it.Message, want)
	}
}
