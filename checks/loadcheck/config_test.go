package loadcheck

import (
	"errors"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/checklist"
)

// decode builds a probe the way the loader does: defaults from the
// factory, then a strict decode of the item's block.
func decode(t *testing.T, block string) (*Probe, error) {
	t.Helper()
	p := New().(*Probe)
	if err := checklist.DecodeBlock(block, p); err != nil {
		return p, err
	}
	return p, p.Validate()
}

func mustProbe(t *testing.T, block string) *Probe {
	t.Helper()
	p, err := decode(t, block)
	if err != nil {
		t.Fatalf("config %q: %v", block, err)
	}
	return p
}

func TestDefaults(t *testing.T) {
	p := New().(*Probe)
	if p.Method != "GET" || p.Connections != 10 || p.Timeout != 10*time.Second || p.MaxDuration != 10*time.Minute {
		t.Errorf("defaults = %+v", p)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name, block string
		field       string // "" = valid
		msg         string
	}{
		{"minimal", "url: http://127.0.0.1/\nduration: 1s", "", ""},
		{"requests", "url: http://127.0.0.1/\nrequests: 10", "", ""},
		{"open model", "url: https://127.0.0.1/\nduration: 1s\nrate: 50", "", ""},
		{"no url", "duration: 1s", "url", "required"},
		{"bad scheme", "url: ftp://x/\nduration: 1s", "url", "scheme"},
		{"no host", "url: http:///x\nduration: 1s", "url", "no host"},
		{"bad method", "url: http://x/\nmethod: \"GE T\"\nduration: 1s", "method", "not an HTTP method"},
		{"bad header", "url: http://x/\nheaders: {\"a b\": c}\nduration: 1s", "headers", "header name"},
		{"header newline", "url: http://x/\nheaders: {a: \"b\\nc\"}\nduration: 1s", "headers", "line break"},
		{"tls pair", "url: https://x/\nduration: 1s\ntls: {cert_file: c.pem}", "tls", "key_file"},
		{"zero connections", "url: http://x/\nduration: 1s\nconnections: 0", "connections", "at least 1"},
		{"too many connections", "url: http://x/\nduration: 1s\nconnections: 5001", "connections", "more than"},
		{"neither duration nor requests", "url: http://x/", "duration", "set duration"},
		{"both", "url: http://x/\nduration: 1s\nrequests: 5", "requests", "not both"},
		{"negative rate", "url: http://x/\nduration: 1s\nrate: -1", "rate", "negative"},
		{"zero timeout", "url: http://x/\nduration: 1s\ntimeout: 0s", "timeout", "positive"},
		{"over max_duration", "url: http://x/\nduration: 11m", "duration", "longer than max_duration 10m"},
		{"warmup counts toward max_duration", "url: http://x/\nduration: 9m\nwarmup: 2m", "duration", "warmup 2m0s + duration 9m0s"},
		{"max_duration raised", "url: http://x/\nduration: 11m\nmax_duration: 15m", "", ""},
		{"requests at rate over max_duration", "url: http://x/\nrequests: 1000\nrate: 1", "requests", "1000 requests at 1/s"},
		{"warmup over max_duration", "url: http://x/\nrequests: 10\nwarmup: 10m", "warmup", "max_duration"},
		{"bad ok_status", "url: http://x/\nduration: 1s\nok_status: 6xx", "ok_status", "6xx"},
		{"bad threshold", "url: http://x/\nduration: 1s\nthresholds: [\"p(95) < 2s\", \"p95 ~ 2s\"]", "thresholds[1]", "no comparison"},
		{"unknown field", "url: http://x/\nduration: 1s\nconcurrency: 5", "", `unknown field "concurrency"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decode(t, tt.block)
			if tt.field == "" && tt.msg == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("want an error about %s, got none", tt.field)
			}
			var fe *checks.FieldError
			if tt.field != "" && (!errors.As(err, &fe) || fe.Field != tt.field) {
				t.Errorf("error %v: want field %q", err, tt.field)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not mention %q", err, tt.msg)
			}
		})
	}
}

func TestParseThreshold(t *testing.T) {
	tests := []struct {
		in     string
		kind   metricKind
		pct    float64
		op     string
		limit  float64
		errMsg string
	}{
		{in: "p(95) < 2s", kind: kindPercentile, pct: 95, op: "<", limit: 2e9},
		{in: "p95<2s", kind: kindPercentile, pct: 95, op: "<", limit: 2e9},
		{in: "p(99.9) <= 3s", kind: kindPercentile, pct: 99.9, op: "<=", limit: 3e9},
		{in: "p99 < 250", kind: kindPercentile, pct: 99, op: "<", limit: 250e6}, // bare number = ms, as in k6
		{in: "avg < 500ms", kind: kindAvg, op: "<", limit: 500e6},
		{in: "mean < 1.5ms", kind: kindAvg, op: "<", limit: 1.5e6},
		{in: "med < 100ms", kind: kindPercentile, pct: 50, op: "<", limit: 100e6},
		{in: "min >= 1us", kind: kindMin, op: ">=", limit: 1e3},
		{in: "max < 5s", kind: kindMax, op: "<", limit: 5e9},
		{in: "error_rate < 0.01", kind: kindErrorRate, op: "<", limit: 0.01},
		{in: "error_rate < 1%", kind: kindErrorRate, op: "<", limit: 0.01},
		{in: "error_rate == 0", kind: kindErrorRate, op: "==", limit: 0},
		{in: "rps > 200", kind: kindRPS, op: ">", limit: 200},
		{in: "rps >= 1e3", kind: kindRPS, op: ">=", limit: 1000},
		{in: "requests != 0", kind: kindRequests, op: "!=", limit: 0},
		{in: "errors == 0", kind: kindErrors, op: "==", limit: 0},
		{in: "P(95) < 2s", kind: kindPercentile, pct: 95, op: "<", limit: 2e9},
		{in: "p(95)", errMsg: "no comparison"},
		{in: "p(95) =< 2s", errMsg: "unknown operator"},
		{in: "p(95) <", errMsg: "no value"},
		{in: "p(101) < 2s", errMsg: "percentile between 0 and 100"},
		{in: "p(0) < 2s", errMsg: "percentile"},
		{in: "latency < 2s", errMsg: "unknown metric"},
		{in: "p95 < fast", errMsg: "not a duration"},
		{in: "error_rate < lots", errMsg: "not a rate"},
		{in: "error_rate < x%", errMsg: "not a percentage"},
		{in: "rps > many", errMsg: "not a number"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			th, err := parseThreshold(tt.in)
			if tt.errMsg != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errMsg) {
					t.Fatalf("err = %v, want %q", err, tt.errMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if th.kind != tt.kind || th.pct != tt.pct || th.op != tt.op || th.limit != tt.limit {
				t.Errorf("got kind=%d pct=%g op=%s limit=%g", th.kind, th.pct, th.op, th.limit)
			}
		})
	}
}

func TestThresholdOperators(t *testing.T) {
	s := &summary{requests: 100, errors: 1, rps: 200}
	for _, tt := range []struct {
		in string
		ok bool
	}{
		{"error_rate < 0.01", false}, {"error_rate <= 0.01", true}, {"error_rate > 0.005", true},
		{"error_rate >= 0.02", false}, {"error_rate == 0.01", true}, {"error_rate != 0.01", false},
		{"rps > 200", false}, {"rps >= 200", true},
	} {
		th, err := parseThreshold(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := th.evaluate(s).ok; got != tt.ok {
			t.Errorf("%s: ok = %v, want %v", tt.in, got, tt.ok)
		}
	}
}

func TestOKStatus(t *testing.T) {
	tests := []struct {
		block string
		ok    []int
		notOK []int
	}{
		{"", []int{200, 301, 404, 499}, []int{500, 503}},
		{"ok_status: 200", []int{200}, []int{201, 404, 500}},
		{"ok_status: 2xx", []int{200, 204, 299}, []int{300, 404}},
		{"ok_status: [200, \"3xx\", 404]", []int{200, 302, 404}, []int{201, 403, 500}},
		{"ok_status: \"200-299\"", []int{200, 250}, []int{300}},
	}
	for _, tt := range tests {
		p := mustProbe(t, "url: http://x/\nduration: 1s\n"+tt.block)
		for _, c := range tt.ok {
			if !p.okStatus.ok(c) {
				t.Errorf("%q: %d should be ok", tt.block, c)
			}
		}
		for _, c := range tt.notOK {
			if p.okStatus.ok(c) {
				t.Errorf("%q: %d should not be ok", tt.block, c)
			}
		}
	}
	if _, err := decode(t, "url: http://x/\nduration: 1s\nok_status: {a: 1}"); err == nil {
		t.Error("a map for ok_status should be refused")
	}
}

// The registered example must be a complete, valid item.
func TestExample(t *testing.T) {
	k, ok := checks.Lookup("load")
	if !ok {
		t.Fatal("load kind not registered")
	}
	var items []map[string]yaml.Node
	if err := yaml.Unmarshal([]byte(k.Example), &items); err != nil {
		t.Fatalf("example is not a YAML list: %v", err)
	}
	if len(items) != 1 {
		t.Fatalf("example has %d items", len(items))
	}
	block, ok := items[0]["load"]
	if !ok {
		t.Fatal("example has no load: block")
	}
	out, err := yaml.Marshal(&block)
	if err != nil {
		t.Fatal(err)
	}
	p := mustProbe(t, string(out))
	if p.Connections != 100 || p.Duration != 30*time.Second || len(p.thresholds) != 2 {
		t.Errorf("example is not the seed's gate: %+v", p)
	}
	if !strings.HasPrefix(k.Example, "- id: ") {
		t.Error("example must start with \"- id: \"")
	}
}

func TestGroup(t *testing.T) {
	for in, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 48210: "48,210", 1234567: "1,234,567", -1200: "-1,200"} {
		if got := group(in); got != want {
			t.Errorf("group(%d) = %q, want %q", in, got, want)
		}
	}
}
