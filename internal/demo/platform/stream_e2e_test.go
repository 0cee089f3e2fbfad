package platform

import (
	"context"
	"testing"

	_ "github.com/readyctl/readyctl/checks/all"
	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/report"
	"github.com/readyctl/readyctl/internal/runner"
)

// streamChecklist measures the streamed completion as an LLM gateway's
// readiness needs: time to the first token, enough chunks, a clean end,
// and content in the first chunk.
const streamChecklist = `version: 1
name: streaming
sections:
  - id: s
    items:
      - id: completion-stream
        timeout: 1s
        http:
          url: ${url}/v1/chat/completions
          method: POST
          json: {model: demo-small, stream: true, messages: [{role: user, content: hi}]}
          stream: sse
          expect:
            - first_event < duration("500ms")
            - events >= 3
            - done
            - data[0].choices[0].delta.content != ""
            - 'all(event_types, {# == "message"})'
`

// The checklist language end to end: loaded, type-checked, run by the
// runner against the stand-ins, healthy and with stream-stall.
func TestStreamItemThroughRunner(t *testing.T) {
	for _, c := range []struct {
		fault  string
		status report.Status
		reason string
	}{
		{"", report.Pass, ""},
		{"stream-stall", report.Error, "timeout"},
	} {
		p := standIns(t, c.fault)
		for _, svc := range []string{"mcp", "gateway"} {
			cl, err := checklist.Parse("stream.yaml", []byte(streamChecklist), checklist.Options{
				Vars:      map[string]string{"url": p.Vars[svc]},
				LookupEnv: func(string) (string, bool) { return "", false },
			})
			if err != nil {
				t.Fatal(err)
			}
			rep := runner.Run(context.Background(), cl, runner.Options{})
			it := rep.Items[0]
			if it.Status != c.status || it.Reason != c.reason {
				t.Errorf("fault %q via %s: %s (%s) %s %v", c.fault, svc, it.Status, it.Reason, it.Message, it.Observations)
			}
			if c.fault != "" && it.Observations["events"] != 2 {
				t.Errorf("fault %q via %s: events %v, want the 2 sent before the stall", c.fault, svc, it.Observations["events"])
			}
		}
	}
}
