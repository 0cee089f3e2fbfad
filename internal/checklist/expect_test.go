package checklist_test

import (
	"fmt"
	"strings"
	"testing"

	_ "github.com/readyctl/readyctl/checks/pgcheck"
	"github.com/readyctl/readyctl/internal/checklist"
)

func parseExpect(kind, block, expr string) error {
	src := fmt.Sprintf("version: 1\nsections:\n  - id: s\n    items:\n      - id: a\n        %s:\n          %s\n          expect:\n            - '%s'\n", kind, block, expr)
	_, err := checklist.Parse("c.yaml", []byte(src), checklist.Options{})
	return err
}

// TestExpectTypeErrorsAtLoad: an expression that cannot mean what it says
// is an invalid checklist (exit 3), not a failing target at run time.
func TestExpectTypeErrorsAtLoad(t *testing.T) {
	const at = `c.yaml:9:15: item "a": expect[0]: `
	for _, c := range []struct{ kind, block, expr, want string }{
		{"http", "url: http://x", `jsn.status == "ok"`, `unknown name "jsn" (did you mean "json"?)`},
		{"http", "url: http://x", `latency < 500`, `latency is a duration and 500 is a number without a unit: write duration("500ms") or duration("500s")`},
		{"http", "url: http://x", `latency < "500ms"`, `latency is a duration and "500ms" is a string: write duration("500ms")`},
		{"http", "url: http://x", `500 > latency`, `latency is a duration and 500 is a number without a unit`},
		{"http", "url: http://x", `latency < 0.5`, `latency is a duration and 0.5 is a number without a unit: write duration("0.5s")`},
		{"http", "url: http://x", `status`, `the expression gives an int, not true or false`},
		{"http", "url: http://x", `status == "200"`, `type mismatch: == cannot be applied to an int and a string`},
		{"http", "url: http://x", `body + 1 > 0`, `type mismatch: + cannot be applied to a string and an int`},
		{"http", "url: http://x", `rate_limit.limted`, `unknown field "limted" of rate_limit (did you mean "limited"?)`},
		{"http", "url: http://x", `__eval != nil`, `unknown name "__eval"`},
		{"postgres", "dsn: postgres://u@h/db", `migrations.verison == "3"`, `unknown field "verison" of migrations (did you mean "version"?)`},
		{"postgres", "dsn: postgres://u@h/db", `migrations.dirty == 1`, `type mismatch: == cannot be applied to a bool and an int`},
		{"postgres", "dsn: postgres://u@h/db", `xyzzyq > 1`, `unknown name "xyzzyq"; observations: latency, server_version`},
	} {
		err := parseExpect(c.kind, c.block, c.expr)
		if err == nil || !strings.HasPrefix(err.Error(), at+c.want) {
			t.Errorf("%s: got\n%v\nwant prefix\n%s", c.expr, err, at+c.want)
		}
	}
	for _, ok := range []string{
		`latency < duration("2s")`, `json.status == "ok"`, `json.a.b[0] == 1`, `headers["content-type"] contains "json"`,
		`status in [200, 204]`, `latency.Milliseconds() < 500`, `json == nil || len(body) > 0`,
		`rate_limit.limited && requests_until_limited <= 10`, `all(json, {# != nil})`, `status >= 200 && status < 300`,
	} {
		if err := parseExpect("http", "url: http://x", ok); err != nil {
			t.Errorf("%s: refused: %v", ok, err)
		}
	}
	for _, ok := range []string{`migrations.version == "42" && !migrations.dirty`, `replication_lag == nil || replication_lag < duration("5s")`, `value == 1`} {
		if err := parseExpect("postgres", "dsn: postgres://u@h/db", ok); err != nil {
			t.Errorf("%s: refused: %v", ok, err)
		}
	}
}
