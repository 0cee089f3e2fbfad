package all_test

import (
	"testing"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/checklist"
)

// TestEvidencePlans: `readyctl plan` says what the evidence kinds touch.
func TestEvidencePlans(t *testing.T) {
	for _, c := range []struct {
		item string
		want checks.Plan
	}{
		{`exec: {command: [promtool, check, config, /etc/prometheus/prometheus.yml]}`, checks.Plan{Target: "promtool"}},
		{`tests: {files: [a.xml, "b/*.xml"]}`, checks.Plan{Target: "a.xml, b/*.xml"}},
		{`scan: {file: r.sarif}`, checks.Plan{Target: "r.sarif"}},
		{`scan: {command: [trivy, fs, --format, sarif, .]}`, checks.Plan{Target: "trivy"}},
		{`dns: {name: api.example.com, server: 10.0.0.53}`, checks.Plan{Target: "api.example.com@10.0.0.53:53", Requests: 2, Connections: 1}},
		{`dns: {name: api.example.com, server: "10.0.0.53:5353", tcp: true}`, checks.Plan{Target: "api.example.com@10.0.0.53:5353", Requests: 1, Connections: 1}},
		{`dns: {name: api.example.com}`, checks.Plan{Target: "api.example.com@resolv.conf", Requests: 2, Connections: 1}},
		{`mcp: {url: "http://127.0.0.1:3003/mcp"}`, checks.Plan{Target: "http://127.0.0.1:3003/mcp", Requests: 4, Connections: 1}},
		{`mcp: {command: [mcp-server, --token, x], call: {tool: list_models}}`, checks.Plan{Target: "mcp-server", Requests: 5, Connections: 1}},
	} {
		src := "version: 1\nname: p\nsections:\n  - id: s\n    items:\n      - id: i\n        " + c.item + "\n"
		cl, err := checklist.Parse("plan.yaml", []byte(src), checklist.Options{LookupEnv: func(string) (string, bool) { return "", false }})
		if err != nil {
			t.Fatalf("%s: %v", c.item, err)
		}
		pl, ok := cl.Items()[0].Probe.(checks.Planner)
		if !ok {
			t.Errorf("%s: no Plan", c.item)
			continue
		}
		if got := pl.Plan(); got != c.want {
			t.Errorf("%s: plan %+v, want %+v", c.item, got, c.want)
		}
	}
}
