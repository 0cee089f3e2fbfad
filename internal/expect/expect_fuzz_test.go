package expect_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/expect"
)

// fuzzDecls are http-like observations: typed scalars and dynamic json.
var fuzzDecls = []checks.Observation{
	{Name: "status", Type: checks.TypeInt, Doc: "d"},
	{Name: "latency", Type: checks.TypeDuration, Doc: "d"},
	{Name: "body", Type: checks.TypeString, Doc: "d"},
	{Name: "json", Type: checks.TypeAny, Doc: "d"},
	{Name: "headers", Type: checks.TypeMap, Doc: "d"},
}

// FuzzExpectation: any expression a checklist holds either fails to
// compile with an error, or evaluates without panicking, within a
// deadline, over hostile observations (a large JSON array, a long body).
func FuzzExpectation(f *testing.F) {
	for _, s := range []string{
		`status == 200`, `latency < duration("500ms")`, `json.status == "ok"`,
		`all(json, {all(json, {true})})`, `len(join(map(json, body), "")) > 0`,
		`reduce(json, #acc + body, "") != ""`, `headers["content-type"] contains "json"`,
		`latency < 500`, `jsn.x`, `status`, `body matches "(a+)+$"`, `1/0 == 1`,
	} {
		f.Add(s)
	}
	arr := make([]any, 2000)
	for i := range arr {
		arr[i] = float64(i)
	}
	obs := map[string]any{
		"status": 200, "latency": 3 * time.Millisecond, "body": strings.Repeat("a", 4096) + "!",
		"json": arr, "headers": map[string]any{"content-type": "application/json"},
	}
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > 512 {
			return
		}
		e, err := expect.Compile(src, fuzzDecls)
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, _, _ = e.Eval(ctx, obs)
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("%q took %s under a 200ms deadline", src, d)
		}
	})
}
