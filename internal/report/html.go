package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/readyctl/readyctl/checks"
)

func init() { Register("html", renderHTML) }

// The page is one file a change ticket can carry: the template holds all
// the CSS inline and references nothing outside itself (no scripts,
// fonts, images or stylesheets), and html/template escapes every value by
// its context, so a response body quoted in a message stays text.
//
//go:embed html.tmpl
var htmlSource string

var htmlPage = template.Must(template.New("report").Parse(htmlSource))

// htmlView is the report laid out for the template. Building it only
// formats and groups what the model says; the verdict, the blockers and
// whether an item blocks come from the model (Verdict, Blocking()).
type htmlView struct {
	Title       string
	Path        string
	SHA256      string
	Environment string
	Release     string
	Started     string
	Duration    string
	Ready       bool
	Interrupted bool
	Summary     Summary
	Note        string // not selected, rounds
	Blockers    []Blocker
	Sections    []htmlSection
	Signoffs    []htmlSignoff
	Deployment  *htmlDeployment
}

type htmlSection struct {
	ID, Title, Rate string
	Class           string
	Items           []htmlItem
}

type htmlItem struct {
	ID, Title, Kind, Severity string
	Status, Reason, Message   string
	Class                     string // status class, "warn" for a problem that does not block
	Blocking                  bool
	NotBlockingNote           string
	Duration                  string
	Attempts                  int
	Observations              []htmlKV
	Signoff                   *htmlSignoff
	Chart                     *htmlChart
}

type htmlKV struct{ Key, Value string }

type htmlSignoff struct {
	Type, Role, Item, Name, Email, Date, Expires, State, Reason, Note, Decision string
	Required                                                                    bool
	Class                                                                       string
}

// htmlChart is a horizontal bar chart of latency percentiles, drawn as
// inline SVG: coordinates are computed here, the template only places them.
type htmlChart struct {
	Width, Height int
	Bars          []htmlBar
	Label         string // for screen readers
}

type htmlBar struct {
	Name, Value   string
	X, Y, W, H    int
	ValueX, TextY int
	Class         string
}

type htmlDeployment struct {
	Rows        []htmlKV
	Outages     []htmlOutage
	Performance []htmlChange
}

type htmlOutage struct{ Item, Start, End, Length string }

type htmlChange struct{ Key, Before, After, Percent string }

func renderHTML(w io.Writer, r *Report, o Options) error {
	return htmlPage.Execute(w, newHTMLView(r, o))
}

func newHTMLView(r *Report, o Options) htmlView {
	v := htmlView{
		Title: r.Checklist.Name, Path: r.Checklist.Path, SHA256: r.Checklist.SHA256,
		Environment: r.Environment, Release: r.Release,
		Duration: (time.Duration(r.DurationMS) * time.Millisecond).String(),
		Ready:    r.Verdict == Ready, Interrupted: r.Interrupted, Summary: r.Summary,
		Note: strings.TrimPrefix(notSelectedNote(r.Items)+roundsNote(r.Rounds), ", "),
	}
	if v.Title == "" {
		v.Title = r.Checklist.Path
	}
	if !r.StartedAt.IsZero() {
		v.Started = r.StartedAt.UTC().Format(time.RFC3339)
	}
	v.Blockers = r.Blocking()
	blocked := blockedSet(v.Blockers)
	for _, s := range r.Sections {
		sec := htmlSection{ID: s.ID, Title: s.Title, Class: string(s.Status)}
		switch {
		case problem(s.Status) && !blocked.sections[s.ID]:
			sec.Class = "warn"
		case !problem(s.Status) && blocked.sections[s.ID]:
			sec.Class = string(Fail)
		}
		if s.Status != Skip {
			sec.Rate = percent(s.PassRate)
			if s.MinPassRate != nil {
				sec.Rate += " (min " + percent(*s.MinPassRate) + ")"
			}
		}
		for _, it := range r.Items {
			if it.Section != s.ID || (it.Reason == checks.ReasonNotSelected && !o.Verbose) {
				continue
			}
			sec.Items = append(sec.Items, newHTMLItem(it, blocked.items[it.ID], o))
		}
		if len(sec.Items) > 0 {
			v.Sections = append(v.Sections, sec)
		}
	}
	for _, so := range r.Signoffs {
		v.Signoffs = append(v.Signoffs, newHTMLSignoff(so))
	}
	if d := r.Deployment; d != nil {
		v.Deployment = newHTMLDeployment(d)
	}
	return v
}

func newHTMLItem(it Item, blocks bool, o Options) htmlItem {
	h := htmlItem{
		ID: it.ID, Title: it.Title, Kind: it.Kind, Severity: it.Severity,
		Status: string(it.Status), Reason: it.Reason, Message: it.Message,
		Class: string(it.Status), Blocking: blocks, Attempts: it.Attempts,
	}
	if h.Title == h.ID {
		h.Title = ""
	}
	if problem(it.Status) && !blocks {
		h.Class = "warn"
		h.NotBlockingNote = it.Severity + ", not blocking"
	}
	if it.DurationMS > 0 || it.Attempts > 0 {
		h.Duration = (time.Duration(it.DurationMS) * time.Millisecond).String()
	}
	max := 8
	if o.Verbose {
		max = 0
	}
	for _, kv := range keyObservations(it.Observations, max, it.Key...) {
		k, val, _ := strings.Cut(kv, "=")
		h.Observations = append(h.Observations, htmlKV{k, val})
	}
	if it.Signoff != nil {
		s := newHTMLSignoff(*it.Signoff)
		h.Signoff = &s
	}
	if it.Kind == "load" {
		h.Chart = percentileChart(it.Observations)
	}
	return h
}

func newHTMLSignoff(s Signoff) htmlSignoff {
	h := htmlSignoff{
		Type: s.Type, Role: s.Role, Item: s.Item, Name: s.Name, Email: s.Email,
		State: s.State, Reason: s.Reason, Note: s.Note, Decision: s.Decision, Required: s.Required,
		Date: day(s.Date), Expires: day(s.Expires),
	}
	if s.RoleTitle != "" {
		h.Role = s.RoleTitle
	}
	h.Class = "pending"
	switch {
	case s.State == "valid" && s.Decision != "rejected":
		h.Class = "pass"
	case s.State == "valid":
		h.Class = "fail"
	case s.Required:
		h.Class = "fail"
	}
	return h
}

func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02")
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

func millis(ms int64) string { return (time.Duration(ms) * time.Millisecond).String() }

// chartPercentiles are the load kind's latency observations, in the order
// a percentile chart reads (checks/loadcheck/observations.go).
var chartPercentiles = []string{"min", "p50", "p90", "p95", "p99", "max"}

const (
	chartWidth  = 360 // viewBox units; the SVG scales to the page
	chartLabel  = 44  // room for the percentile's name
	chartValue  = 80  // room for the value after the longest bar
	chartBar    = 18
	chartGap    = 8
	chartMargin = 4
)

// percentileChart draws the latency percentiles an item observed; nil
// when it observed none (no answer: the percentiles are nil).
func percentileChart(obs map[string]any) *htmlChart {
	type point struct {
		name string
		d    time.Duration
	}
	var pts []point
	var top time.Duration
	for _, name := range chartPercentiles {
		d, ok := asDuration(obs[name])
		if !ok || d < 0 {
			continue
		}
		pts = append(pts, point{name, d})
		top = max(top, d)
	}
	if len(pts) == 0 {
		return nil
	}
	c := &htmlChart{Width: chartWidth, Height: chartMargin*2 + len(pts)*(chartBar+chartGap) - chartGap}
	span := chartWidth - chartLabel - chartValue
	labels := make([]string, 0, len(pts))
	for i, p := range pts {
		w := 1
		if top > 0 {
			w = max(1, int(math.Round(float64(span)*float64(p.d)/float64(top))))
		}
		y := chartMargin + i*(chartBar+chartGap)
		val := p.d.Round(10 * time.Microsecond).String()
		c.Bars = append(c.Bars, htmlBar{
			Name: p.name, Value: val, X: chartLabel, Y: y, W: w, H: chartBar,
			ValueX: chartLabel + w + 6, TextY: y + chartBar - 5, Class: "bar-" + p.name,
		})
		labels = append(labels, p.name+" "+val)
	}
	c.Label = "latency percentiles: " + strings.Join(labels, ", ")
	return c
}

// asDuration reads a latency observation: a time.Duration from a probe,
// or its string form ("12.5ms") from a report read back from JSON.
func asDuration(v any) (time.Duration, bool) {
	switch x := v.(type) {
	case time.Duration:
		return x, true
	case string:
		d, err := time.ParseDuration(x)
		return d, err == nil
	}
	return 0, false
}

func newHTMLDeployment(d *Deployment) *htmlDeployment {
	h := &htmlDeployment{}
	add := func(k, v string) {
		if v != "" {
			h.Rows = append(h.Rows, htmlKV{k, v})
		}
	}
	add("Outcome", d.Outcome)
	add("Started", stamp(d.StartedAt))
	add("Finished", stamp(d.FinishedAt))
	add("Command", d.Command)
	if d.ExitCode != nil {
		add("Exit code", fmt.Sprint(*d.ExitCode))
	}
	add("Duration", millis(d.DurationMS))
	add("Downtime", millis(d.DowntimeMS))
	if d.ConvergedMS != nil {
		add("Converged", millis(*d.ConvergedMS)+" after the command ended")
	}
	rolled := "no"
	if d.RolledBack {
		rolled = "yes, in " + millis(d.RollbackDurationMS)
		if d.RollbackExitCode != nil {
			rolled += fmt.Sprintf(" (exit code %d)", *d.RollbackExitCode)
		}
	}
	add("Rolled back", rolled)
	add("Reason", d.Reason)
	add("Issues", fmt.Sprintf("%d critical · %d warning · %d info", d.Issues.Critical, d.Issues.Warning, d.Issues.Info))
	if d.UserImpact != nil {
		add("User impact", fmt.Sprintf("%.4g", *d.UserImpact))
	}
	for _, o := range d.Outages {
		out := htmlOutage{Item: o.Item, Start: stamp(o.Start), End: stamp(o.End)}
		if o.End.IsZero() {
			out.End = "(ongoing)"
		} else {
			out.Length = o.End.Sub(o.Start).String()
		}
		h.Outages = append(h.Outages, out)
	}
	keys := make([]string, 0, len(d.PerformanceChange))
	for k := range d.PerformanceChange {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ch := d.PerformanceChange[k]
		percent := fmt.Sprintf("%+.1f%%", ch.Percent)
		if ch.New {
			percent = "new" // from zero: no percentage means anything
		}
		h.Performance = append(h.Performance, htmlChange{
			Key: k, Before: fmt.Sprintf("%.4g", ch.Before), After: fmt.Sprintf("%.4g", ch.After),
			Percent: percent,
		})
	}
	return h
}
