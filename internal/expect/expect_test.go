package expect_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/readyctl/readyctl/checks"
	_ "github.com/readyctl/readyctl/checks/httpcheck"
	_ "github.com/readyctl/readyctl/checks/pgcheck"
	"github.com/readyctl/readyctl/internal/expect"
)

var httpDecls = func() []checks.Observation {
	k, _ := checks.Lookup("http")
	return k.Observations
}()

func eval(t *testing.T, ctx context.Context, src string, obs map[string]any) (bool, string, error) {
	t.Helper()
	e, err := expect.Compile(src, httpDecls)
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	return e.Eval(ctx, obs)
}

// TestExpectRuntimeMessagesInWords: a runtime problem says what is wrong,
// pointing at the fix, and is still a plain failure.
func TestExpectRuntimeMessagesInWords(t *testing.T) {
	html := map[string]any{"status": 200, "json": nil, "body": "<html>hi</html>", "headers": map[string]any{"content-type": "text/html; charset=utf-8"}}
	for src, want := range map[string]string{
		`json.status == "ok"`:                     `json.status == "ok": the body is not JSON (content-type text/html; charset=utf-8)`,
		`headers["Content-Type"] contains "json"`: `headers["Content-Type"] contains "json": headers["Content-Type"] was nil: header names are lower case: write headers["content-type"]`,
		`headers["x-id"] != nil`:                  `headers["x-id"] != nil: headers["x-id"] was nil: the response has no x-id header`,
		`status == 201`:                           `status == 201: status was 200`,
	} {
		ok, msg, err := eval(t, context.Background(), src, html)
		if ok || err != nil || msg != want {
			t.Errorf("%s: %v %v\n got %q\nwant %q", src, ok, err, msg, want)
		}
	}
	// Without a Why, a value that was not measured is named.
	pg, _ := checks.Lookup("postgres")
	e, err := expect.Compile(`migrations.version == "42" && role == "primary"`, pg.Observations)
	if err != nil {
		t.Fatal(err)
	}
	if ok, msg, _ := e.Eval(context.Background(), map[string]any{"role": "primary"}); ok || msg != `migrations.version == "42" && role == "primary": migrations was nil, role was "primary"` {
		t.Errorf("nil map: %v %q", ok, msg)
	}
	// A probe that returns another integer type still compares as declared.
	if ok, msg, _ := eval(t, context.Background(), `status == 200 && rate_limit.status == 429`, map[string]any{"status": int64(200), "rate_limit": map[string]any{"status": int32(429)}}); !ok {
		t.Errorf("normalised ints: %s", msg)
	}
}

// TestExpectEvaluationIsBounded: a hostile expression over a large body
// stops at the attempt's deadline, and join cannot build gigabytes.
func TestExpectEvaluationIsBounded(t *testing.T) {
	big := make([]any, 200_000)
	for i := range big {
		big[i] = i
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	ok, msg, err := eval(t, ctx, `all(json, {all(json, {true})})`, map[string]any{"json": big})
	if ok || !errors.Is(err, expect.ErrEvalStopped) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("nested loop: %v %q %v", ok, msg, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("nested loop stopped after %s, want about 200ms", d)
	}

	body := strings.Repeat("x", 40<<10)
	elems := make([]any, 20_000)
	for i := range elems {
		elems[i] = i
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ok, msg, err = eval(t, context.Background(), `len(join(map(json, body), "")) > 0`, map[string]any{"json": elems, "body": body})
	runtime.ReadMemStats(&after)
	if ok || err != nil || !strings.Contains(msg, "join would build more than 8 MB") {
		t.Errorf("join: %v %q %v", ok, msg, err)
	}
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 64<<20 {
		t.Errorf("join allocated %d MB", grown>>20)
	}

	// + joining strings in a loop grows quadratically: counted, stopped.
	runtime.GC()
	runtime.ReadMemStats(&before)
	ok, msg, err = eval(t, context.Background(), `len(reduce(json, #acc + body, "")) > 0`, map[string]any{"json": elems, "body": body})
	runtime.ReadMemStats(&after)
	if ok || err != nil || !strings.Contains(msg, "+ built more than 8 MB of strings") {
		t.Errorf("reduce: %v %q %v", ok, msg, err)
	}
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 64<<20 {
		t.Errorf("reduce allocated %d MB", grown>>20)
	}
	for _, src := range []string{`"a" + body == "abc"`, `status + 1 == 201`, `json.a + json.b == 3`, `json.s + "!" == "hi!"`, `latency + duration("1s") > duration("1s")`} {
		if ok, msg, err := eval(t, context.Background(), src, map[string]any{"body": "bc", "status": 200, "json": map[string]any{"a": 1, "b": 2, "s": "hi"}, "latency": time.Millisecond}); !ok || err != nil {
			t.Errorf("%s: %q %v", src, msg, err)
		}
	}

	// Ctrl-C: a cancelled context stops the evaluation too.
	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	if _, _, err := eval(t, cctx, `any(json, {any(json, {false})})`, map[string]any{"json": big}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
