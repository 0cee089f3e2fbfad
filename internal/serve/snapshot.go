package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/metricsexport"
	"github.com/readyctl/readyctl/internal/report"
)

// snapshot is one finished round as the endpoints serve it. It is made
// once per round and never changed, so requests read it without locks;
// rendering it once keeps a scrape of a large checklist cheap.
type snapshot struct {
	rep      *report.Report
	finished time.Time
	// ready is the body of /ready, status its HTTP status.
	ready  []byte
	status int
	// json is the report as `--format json` prints it.
	json []byte
	// failed: the round produced no report; json is the reason, served
	// with status 503 rather than as a report.
	failed bool
	// run holds the metrics `-o prometheus` writes for this report.
	run *prometheus.Registry

	htmlOnce sync.Once
	html     []byte
	htmlErr  error
}

func newSnapshot(rep *report.Report, finished time.Time) (*snapshot, error) {
	s := &snapshot{rep: rep, finished: finished}
	render, ok := report.Lookup("json")
	if !ok {
		return nil, fmt.Errorf("no json renderer")
	}
	var buf bytes.Buffer
	if err := render(&buf, rep, report.Options{}); err != nil {
		return nil, fmt.Errorf("render the json report: %w", err)
	}
	s.json = buf.Bytes()
	reg, err := metricsexport.NewRegistry(report.MetricsRun(rep))
	if err != nil {
		return nil, err
	}
	s.run = reg
	s.ready, s.status = readyBody(rep, finished)
	return s, nil
}

// renderHTML renders the report as HTML once, when first asked: most
// readers of /report are tools that want JSON.
func (s *snapshot) renderHTML(render report.Renderer) ([]byte, error) {
	s.htmlOnce.Do(func() {
		var buf bytes.Buffer
		s.htmlErr = render(&buf, s.rep, report.Options{})
		s.html = buf.Bytes()
	})
	return s.html, s.htmlErr
}

// failedSnapshot stands for a round that could not produce a report: not
// ready, with the reason in /ready and /report, readyctl_run_ready 0.
func failedSnapshot(cl *checklist.Checklist, cause error, started, finished time.Time) *snapshot {
	rep := &report.Report{
		Schema:      report.Schema,
		Checklist:   report.ChecklistInfo{Name: cl.Name, Path: cl.Path},
		Environment: cl.Environment,
		StartedAt:   started,
		DurationMS:  finished.Sub(started).Milliseconds(),
		Verdict:     report.NotReady,
	}
	b := readyResponse{Verdict: report.NotReady, Time: &finished, StartedAt: &started, Blocking: []report.Blocker{{
		Reason: ReasonRoundFailed, Message: "the round could not be judged: " + cause.Error(),
	}}}
	body, _ := json.Marshal(b)
	body = append(body, '\n')
	// MetricsRun of a report without items cannot fail to register.
	reg, _ := metricsexport.NewRegistry(report.MetricsRun(rep))
	return &snapshot{rep: rep, finished: finished, ready: body, status: http.StatusServiceUnavailable, json: body, failed: true, run: reg}
}

// ReasonRoundFailed is /ready's blocker when a round produced no report.
const ReasonRoundFailed = "round_failed"
