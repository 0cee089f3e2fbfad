package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"testing"
	"time"
)

// renderJSONWhole is the JSON renderer as it was before it streamed items:
// the whole report encoded at once. The streaming one must write exactly
// its bytes.
func renderJSONWhole(r *Report) []byte {
	out := *r
	out.Items = make([]Item, len(r.Items))
	for i, it := range r.Items {
		it.Observations = PlainObservations(it.Observations)
		out.Items[i] = it
	}
	if out.Sections == nil {
		out.Sections = []Section{}
	}
	if out.Signoffs == nil {
		out.Signoffs = []Signoff{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return []byte("error: " + err.Error())
	}
	return buf.Bytes()
}

func TestJSONStreamedIsTheWholeEncoding(t *testing.T) {
	many := fixture()
	for i := range 300 {
		many.Items = append(many.Items, Item{ID: "x", Status: Pass, Observations: map[string]any{
			"n": i, "headers": map[string]any{"content-type": "text/html; q=<1> & more"}, "body": "<html>\u2028\n\"é\"</html>",
			"json": map[string]any{"list": []any{1.5, nil, true, map[string]any{}}, "empty": []any{}}, "latency": time.Duration(i) * time.Microsecond,
			"nan": math.NaN(), "at": time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		}})
	}
	cases := map[string]*Report{
		"fixture":    fixture(),
		"many items": many,
		"no items":   {Items: []Item{}},
		"nil items":  {},
		"interrupted with selection": {Interrupted: true, Rounds: 3, Release: "abc", Selection: &Selection{Phase: "post-deploy", Only: []string{"a"}},
			Items: []Item{{ID: "a", Observations: nil, Signoff: &Signoff{Type: "attest"}, FirstPassMS: 7, Key: []string{"status"}}}},
	}
	for name, r := range cases {
		t.Run(name, func(t *testing.T) {
			var got bytes.Buffer
			if err := renderJSON(&got, r, Options{}); err != nil {
				t.Fatal(err)
			}
			if want := renderJSONWhole(r); !bytes.Equal(got.Bytes(), want) {
				t.Errorf("streamed JSON differs from the whole encoding:\n--- got\n%s\n--- want\n%s", got.Bytes(), want)
			}
			if !json.Valid(got.Bytes()) {
				t.Error("not valid JSON")
			}
		})
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestJSONWriteErrorIsReturned(t *testing.T) {
	if err := renderJSON(failingWriter{}, fixture(), Options{}); err == nil {
		t.Fatal("no error from a writer that fails")
	}
}

// BenchmarkRenderJSON renders a report of 10,000 http-like items.
func BenchmarkRenderJSON(b *testing.B) {
	r := &Report{}
	for i := range 10000 {
		r.Items = append(r.Items, Item{ID: "item", Section: "s", Kind: "http", Severity: "critical", Status: Pass, Attempts: 1, DurationMS: 51,
			Observations: map[string]any{"status": 200, "latency": 51 * time.Millisecond, "url": "http://127.0.0.1:8080/item", "body": "ok\n", "json": nil,
				"headers": map[string]any{"content-length": "3", "content-type": "text/plain", "date": "Sat, 28 Nov 2026 18:00:00 GMT"}, "n": i}})
	}
	r.Finish([]Section{{ID: "s"}}, true)
	b.ReportAllocs()
	for b.Loop() {
		if err := renderJSON(io.Discard, r, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
