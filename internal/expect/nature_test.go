package expect

import (
	"runtime"
	"testing"

	"github.com/expr-lang/expr"

	"github.com/readyctl/readyctl/checks"
	_ "github.com/readyctl/readyctl/checks/httpcheck"
	_ "github.com/readyctl/readyctl/checks/pgcheck"
)

// An environment computes its nature once for every program compiled in
// it (envOption), where expr.Env computed it for each: the programs must
// be the same, and compiling must not cost the nature each time.
func TestEnvNatureComputedOnce(t *testing.T) {
	srcs := []string{
		`status == 200`, `status in [200, 204] && latency < duration("500ms")`, `json.status == "ok"`,
		`headers["content-type"] contains "json"`, `len(body) > 0 and body matches "^ok"`, `latency < baseline.latency * 1.2`,
		`json.items[0].id != nil`, `match_group(body, "v=([0-9]+)") == "2"`, `tls.days_left > 14`, `nope == 1`, `status == "x"`,
		`rows[0].n == 1`, `migrations.version >= 42`, `columns[0] == "n"`,
	}
	for _, kind := range []string{"http", "postgres", "nothing"} {
		var decls []checks.Observation
		if k, ok := checks.Lookup(kind); ok {
			decls = k.Observations
		}
		e := newExprEnv(decls)
		for _, src := range srcs {
			extra := append(patches(), expr.AsBool())
			got, gotErr := e.compile(src, extra...)
			want, wantErr := e.compileWith(expr.Env(e.typed), src, extra...)
			if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
				t.Errorf("%s: %s: error %v, expr.Env gives %v", kind, src, gotErr, wantErr)
				continue
			}
			if gotErr == nil && got.Disassemble() != want.Disassemble() {
				t.Errorf("%s: %s: program differs from expr.Env's:\n%s\n---\n%s", kind, src, got.Disassemble(), want.Disassemble())
			}
		}
	}

	k, _ := checks.Lookup("http")
	e := newExprEnv(k.Observations)
	if _, err := e.compile(`status == 200`); err != nil {
		t.Fatal(err)
	}
	bytesPer := func(compile func() error) uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range 20 {
			if err := compile(); err != nil {
				t.Fatal(err)
			}
		}
		runtime.ReadMemStats(&after)
		return (after.TotalAlloc - before.TotalAlloc) / 20
	}
	cached := bytesPer(func() error { _, err := e.compile(`status == 200`); return err })
	fresh := bytesPer(func() error { _, err := e.compileWith(expr.Env(e.typed), `status == 200`); return err })
	t.Logf("compiling in an env: %d bytes, with expr.Env: %d", cached, fresh)
	if cached*2 > fresh {
		t.Errorf("compiling in an env allocates %d bytes, with the nature computed each time %d: want less than half", cached, fresh)
	}
}
