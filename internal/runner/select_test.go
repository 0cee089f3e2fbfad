package runner_test

import (
	"context"
	"strings"
	"testing"

	"github.com/readyctl/readyctl/internal/report"
	"github.com/readyctl/readyctl/internal/runner"
)

func TestSkipAndExcludeTagsWinOverSelection(t *testing.T) {
	cl := load(t, `
      - {id: api, tags: [health], fake: {}}
      - {id: load-test, tags: [health, load], fake: {mode: fail}}
      - {id: web, tags: [health], fake: {mode: fail}}
`)
	rep := runner.Run(context.Background(), cl, runner.Options{Tags: []string{"health"}, Skip: []string{"web"}, ExcludeTags: []string{"load"}})
	got := byID(rep)
	if got["api"].Status != report.Pass {
		t.Errorf("api: %+v", got["api"])
	}
	for id, why := range map[string]string{"web": "excluded by --skip", "load-test": "excluded by --exclude-tags load"} {
		if got[id].Status != report.Skip || got[id].Reason != "not_selected" || got[id].Message != why {
			t.Errorf("%s = %s %s %q, want skip not_selected %q", id, got[id].Status, got[id].Reason, got[id].Message, why)
		}
	}
	if rep.Verdict != report.Ready {
		t.Errorf("verdict %s: %v", rep.Verdict, rep.Blocking())
	}
	want := report.Selection{Tags: []string{"health"}, Skip: []string{"web"}, ExcludeTags: []string{"load"}}
	if s := rep.Selection; s == nil || strings.Join(s.Tags, ",") != "health" || strings.Join(s.Skip, ",") != "web" || strings.Join(s.ExcludeTags, ",") != "load" || s.Phase != "" {
		t.Errorf("selection %+v, want %+v", s, want)
	}
	// --only names an item and --skip the same: skip wins.
	rep = runner.Run(context.Background(), cl, runner.Options{Only: []string{"api", "web"}, Skip: []string{"web"}})
	if byID(rep)["web"].Status != report.Skip {
		t.Errorf("--skip lost to --only: %+v", byID(rep)["web"])
	}
	if rep := runner.Run(context.Background(), cl, runner.Options{Only: []string{"api"}}); rep.Selection == nil || rep.Selection.Only[0] != "api" {
		t.Errorf("selection not recorded: %+v", rep.Selection)
	}
	if rep := runner.Run(context.Background(), cl, runner.Options{}); rep.Selection != nil {
		t.Errorf("nothing filtered, selection %+v", rep.Selection)
	}
}

// A dependency left out by --skip is never run to make its dependent
// checkable, and never assumed to pass: the dependent is unchecked, which
// blocks when its severity does.
func TestSkippedDependencyNeverLooksReady(t *testing.T) {
	cl := load(t, `
      - {id: db, tags: [slow], fake: {}}
      - {id: api, depends_on: [db], fake: {}}
      - {id: docs, severity: info, depends_on: [db], fake: {}}
`)
	for _, o := range []runner.Options{{Skip: []string{"db"}}, {ExcludeTags: []string{"slow"}}, {Only: []string{"api"}, Skip: []string{"db"}}} {
		rep := runner.Run(context.Background(), cl, o)
		got := byID(rep)
		if got["db"].Attempts != 0 || got["db"].Reason != "not_selected" {
			t.Errorf("%+v: excluded dependency ran: %+v", o, got["db"])
		}
		if a := got["api"]; a.Status != report.Skip || a.Reason != "dependency" || !strings.Contains(a.Message, `dependency "db" was not checked (excluded by`) {
			t.Errorf("%+v: api = %s %s %q", o, a.Status, a.Reason, a.Message)
		}
		if rep.Verdict != report.NotReady {
			t.Errorf("%+v: a critical item left unchecked by --skip made the run %s", o, rep.Verdict)
		}
	}
}

func TestNothingSelectedIsNeverReady(t *testing.T) {
	cl := load(t, "      - {id: api, phase: pre-deploy, fake: {}}\n")
	for _, o := range []runner.Options{{Phase: "pre-deply"}, {Tags: []string{"helth"}}, {Only: []string{"wbe"}}, {Skip: []string{"api"}}, {ExcludeTags: []string{}, Phase: "post-deploy"}} {
		rep := runner.Run(context.Background(), cl, o)
		bs := rep.Blocking()
		if rep.Verdict != report.NotReady || len(bs) != 1 || bs[0].Reason != report.BlockNothingSelected {
			t.Errorf("%+v: verdict %s, blocking %v", o, rep.Verdict, bs)
		}
	}
}
