package report

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// htmlFixture is fixture() with a load item and a deployment record.
func htmlFixture() *Report {
	r := fixture()
	r.Items = append(r.Items, Item{ID: "api-load", Section: "procedure", Title: "API under load", Kind: "load", Severity: "warning", Status: Pass,
		DurationMS: 10000, Attempts: 1, Key: []string{"rps", "p95", "p99", "error_rate"},
		Observations: map[string]any{"rps": 412.5, "p50": 12 * time.Millisecond, "p90": 30 * time.Millisecond,
			"p95": 41 * time.Millisecond, "p99": 90 * time.Millisecond, "max": 120 * time.Millisecond,
			"min": 2 * time.Millisecond, "error_rate": 0.0, "requests": 4125}})
	exit, conv := 0, int64(4200)
	r.Deployment = &Deployment{
		StartedAt: time.Date(2026, 1, 2, 15, 0, 0, 0, time.UTC), FinishedAt: time.Date(2026, 1, 2, 15, 3, 0, 0, time.UTC),
		Command: "./deploy.sh v42", ExitCode: &exit, DurationMS: 180000, DowntimeMS: 1500, ConvergedMS: &conv,
		Outages:           []Outage{{Item: "core-service", Start: time.Date(2026, 1, 2, 15, 1, 0, 0, time.UTC), End: time.Date(2026, 1, 2, 15, 1, 1, 500e6, time.UTC)}},
		Issues:            Issues{Critical: 2, Warning: 1},
		PerformanceChange: map[string]Change{"api-load.p95": {Before: 0.040, After: 0.041, Percent: 2.5}},
	}
	secs := r.Sections
	r.Finish(secs, true)
	return r
}

func renderString(t *testing.T, r *Report, o Options) string {
	t.Helper()
	render, ok := Lookup("html")
	if !ok {
		t.Fatal("html format not registered")
	}
	var b bytes.Buffer
	if err := render(&b, r, o); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestHTMLGolden(t *testing.T) {
	got := renderString(t, htmlFixture(), Options{})
	path := filepath.Join("testdata", "report.html")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("html report differs from %s (go test -run TestHTMLGolden -update)", path)
	}
}

// node is one element of a parsed page.
type node struct {
	tag   string
	attrs map[string]string
}

// parseHTML tokenises a page the way a browser's parser does and returns
// its elements and its text.
func parseHTML(t *testing.T, page string) ([]node, string) {
	t.Helper()
	z := html.NewTokenizer(strings.NewReader(page))
	var nodes []node
	var text strings.Builder
	for {
		switch z.Next() {
		case html.ErrorToken:
			if z.Err() != io.EOF {
				t.Fatal(z.Err())
			}
			return nodes, text.String()
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			n := node{tag: tok.Data, attrs: map[string]string{}}
			for _, a := range tok.Attr {
				n.attrs[strings.ToLower(a.Key)] = a.Val
			}
			nodes = append(nodes, n)
		case html.TextToken:
			text.WriteString(z.Token().Data)
		}
	}
}

// checkInert fails on anything in a page that loads or runs something:
// scripts, external references, event handlers, javascript: URLs.
func checkInert(t *testing.T, nodes []node, page string) {
	t.Helper()
	for _, n := range nodes {
		switch n.tag {
		case "script", "img", "iframe", "object", "embed", "link", "base", "form", "image", "use", "foreignobject", "meta":
			if n.tag == "meta" && (n.attrs["charset"] != "" || n.attrs["name"] != "" || n.attrs["http-equiv"] == "Content-Security-Policy") {
				continue
			}
			t.Errorf("element <%s %v> in the page", n.tag, n.attrs)
		}
		for k, v := range n.attrs {
			switch {
			case strings.HasPrefix(k, "on"):
				t.Errorf("event handler %s=%q on <%s>", k, v, n.tag)
			case k == "src" || k == "srcset" || k == "xlink:href" || k == "action" || k == "formaction":
				t.Errorf("reference %s=%q on <%s>", k, v, n.tag)
			case k == "href" && !strings.HasPrefix(v, "#"):
				t.Errorf("link %s=%q on <%s> leaves the page", k, v, n.tag)
			case k == "style":
				t.Errorf("inline style attribute on <%s>: all CSS is in the one <style>", n.tag)
			}
		}
	}
	if strings.Contains(page, "url(") || strings.Contains(page, "@import") {
		t.Error("the stylesheet references something outside the page")
	}
}

func TestHTMLSelfContained(t *testing.T) {
	r := htmlFixture()
	page := renderString(t, r, Options{})
	nodes, text := parseHTML(t, page)
	checkInert(t, nodes, page)
	if !strings.Contains(text, "NOT READY") {
		t.Error("verdict NOT READY missing")
	}
	ids := map[string]bool{}
	viewport := false
	for _, n := range nodes {
		ids[n.attrs["id"]] = true
		if n.tag == "meta" && n.attrs["name"] == "viewport" {
			viewport = true
		}
	}
	if !viewport {
		t.Error("no viewport meta: unreadable on a phone")
	}
	// Should an escape ever be missed, the browser still runs nothing
	// and loads nothing: the page's policy allows its inline CSS only.
	if !strings.Contains(page, `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline';`) {
		t.Error("no Content-Security-Policy")
	}
	for _, it := range r.Items {
		shown := ids["item-"+it.ID]
		if want := it.Reason != "not_selected"; shown != want {
			t.Errorf("item %s shown=%v, want %v", it.ID, shown, want)
		}
	}
	for _, want := range []string{"blocking", "signoffs", "deployment", "section-health", "section-procedure"} {
		if !ids[want] {
			t.Errorf("no element #%s", want)
		}
	}
	// Blocking items come first: the blocking list precedes the sections.
	if strings.Index(page, `id="blocking"`) > strings.Index(page, `id="section-health"`) {
		t.Error("the blocking list comes after the sections")
	}
	for _, want := range []string{"Grace Hopper", "2026-01-02", "Ada Lovelace", "retired next sprint", "./deploy.sh v42", "api-load.p95", "+2.5%", "2 critical"} {
		if !strings.Contains(text, want) {
			t.Errorf("page text lacks %q", want)
		}
	}

	ready := fixture()
	ready.Items = ready.Items[:1]
	ready.Finish([]Section{{ID: "health", Title: "Health"}}, true)
	_, text = parseHTML(t, renderString(t, ready, Options{}))
	if !strings.Contains(text, "READY") || strings.Contains(text, "NOT READY") || strings.Contains(text, "Deployment") {
		t.Errorf("a ready report without deployment: %q", text)
	}
}

func TestHTMLEscapesHostileValues(t *testing.T) {
	const (
		script = `<script>alert(1)</script>`
		img    = `"><img src=x onerror=alert(2)>`
		svg    = `</text></svg><svg onload=alert(3)>`
		jsURL  = `javascript:alert(4)`
	)
	hostile := script + img + svg
	r := htmlFixture()
	r.Checklist.Name = hostile
	r.Checklist.Path = img
	r.Environment = script
	for i := range r.Items {
		it := &r.Items[i]
		it.Title = hostile
		it.Message = hostile
		it.Observations["body"] = script
		it.Observations["header"] = img
		if it.Kind == "load" {
			it.Observations["p99"] = svg // a hand-edited JSON report
		}
	}
	r.Items[1].ID = `x"><img src=x onerror=alert(5)>`
	r.Signoffs[0].Name = hostile
	r.Signoffs[0].Note = jsURL
	r.Deployment.Command = hostile
	r.Deployment.Reason = img
	r.Deployment.Outages[0].Item = svg
	r.Deployment.PerformanceChange[svg] = Change{}
	r.Finish(r.Sections, true)
	for _, o := range []Options{{}, {Verbose: true}} {
		page := renderString(t, r, o)
		nodes, text := parseHTML(t, page)
		checkInert(t, nodes, page)
		for _, n := range nodes {
			if n.tag == "svg" && n.attrs["onload"] != "" {
				t.Error("svg onload")
			}
		}
		// The hostile strings are there, as text a person can read.
		for _, want := range []string{script, img} {
			if !strings.Contains(text, want) {
				t.Errorf("page text lacks %q", want)
			}
		}
	}
}

func TestHTMLLoadChart(t *testing.T) {
	page := renderString(t, htmlFixture(), Options{})
	nodes, text := parseHTML(t, page)
	var widths []int
	names := []string{}
	inChart := false
	for _, n := range nodes {
		switch {
		case n.tag == "svg":
			inChart = strings.Contains(n.attrs["class"], "chart")
			if !strings.Contains(n.attrs["aria-label"], "p95 41ms") {
				t.Errorf("chart label %q", n.attrs["aria-label"])
			}
		case n.tag == "rect" && inChart:
			w, err := strconv.Atoi(n.attrs["width"])
			if err != nil {
				t.Fatal(err)
			}
			widths = append(widths, w)
			names = append(names, strings.TrimPrefix(n.attrs["class"], "bar-"))
		}
	}
	if got := strings.Join(names, ","); got != "min,p50,p90,p95,p99,max" {
		t.Fatalf("bars %s", got)
	}
	for i := 1; i < len(widths); i++ {
		if widths[i] < widths[i-1] {
			t.Errorf("bar widths not increasing with the percentile: %v", widths)
		}
	}
	if top := chartWidth - chartLabel - chartValue; widths[len(widths)-1] != top {
		t.Errorf("max bar %d wide, want the full %d", widths[len(widths)-1], top)
	}
	// p50 is 12ms of 120ms: a tenth of the full bar.
	if want := (chartWidth - chartLabel - chartValue) / 10; widths[1] < want-1 || widths[1] > want+1 {
		t.Errorf("p50 bar %d wide, want about %d", widths[1], want)
	}
	for _, want := range []string{"p50", "12ms", "p99", "90ms"} {
		if !strings.Contains(text, want) {
			t.Errorf("chart text lacks %q", want)
		}
	}

	// No answer, no percentiles: no chart (and no empty SVG).
	r := htmlFixture()
	for i := range r.Items {
		if r.Items[i].Kind == "load" {
			r.Items[i].Observations = map[string]any{"p50": nil, "p99": nil, "rps": 0.0}
		}
	}
	if strings.Contains(renderString(t, r, Options{}), "<svg") {
		t.Error("chart drawn without percentiles")
	}
}

// TestHTMLRendersOnlyTheModel: the page shows the model's verdict even
// when the items alone would say otherwise (renderers decide nothing).
func TestHTMLRendersOnlyTheModel(t *testing.T) {
	r := htmlFixture()
	r.Verdict = Ready // as if Finish had decided so
	_, text := parseHTML(t, renderString(t, r, Options{}))
	if strings.Contains(text, "NOT READY") {
		t.Error("the renderer re-decided the verdict")
	}
}
