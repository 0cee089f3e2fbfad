package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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
	type named string
	var values []Item
	for i, v := range []any{
		"", "plain", "quote\" back\\ slash", "ctl \x00\x01\x1f\x7f \b\f\n\r\t", "bad utf8 \xff\xfe end", "\u2028\u2029 é 漢 🙂", "<html>&amp;</html>",
		0.0, math.Copysign(0, -1), 1.5, -2.25, 1e-7, 1e-6, 1e20, 1e21, 123456789.123, math.MaxFloat64, math.SmallestNonzeroFloat64, float32(0.1), float32(3e-8),
		math.Inf(1), math.Inf(-1), math.NaN(), float32(math.NaN()),
		0, -1, int64(math.MinInt64), int32(-7), uint64(math.MaxUint64), uint32(7), int8(3), uint16(9),
		true, false, nil, time.Duration(0), 1500 * time.Millisecond, time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("x", 3600)),
		[]any{}, []any(nil), map[string]any{}, map[string]any(nil), []any{[]any{}, map[string]any{}, []any{1, "a", nil}},
		map[string]any{"z": 1, "a": map[string]any{"y": []any{math.NaN(), time.Second}}, "\u2028k": "v", "": "empty key", "é": 1},
		[]string{"a", "<b>"}, map[string]string{"b": "1", "a": "2"}, map[string]int{}, []int(nil), []byte("bytes"), json.Number("12.50"), json.RawMessage(`{"raw": [1, 2]}`),
		named("named"), struct {
			A int    `json:"a"`
			B string `json:"b,omitempty"`
		}{A: 1}, &struct{ P []any }{P: []any{map[string]any{}}}, time.Month(3), errors.New("an error"),
	} {
		values = append(values, Item{ID: fmt.Sprint("v", i), Status: Fail, Observations: map[string]any{"v": v, "list": []any{v, v}, "map": map[string]any{"k": v}}})
	}
	values = append(values,
		Item{ID: "signed", Status: Waived, Signoff: &Signoff{Type: "waive", Role: "qa", Name: "A <b>", Date: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), State: "valid"}},
		Item{ID: "changed", Status: Pass, FirstPassMS: 12, Changes: map[string]Change{"latency": {Before: 1, After: 2, Percent: 100}, "new": {After: 1, New: true}}},
		Item{ID: "empty changes", Changes: map[string]Change{}, Observations: map[string]any{}},
		Item{ID: "\u2028id\"", Section: "s<>", Title: "t\n", Kind: "k", Severity: "info", Reason: "r&", Message: "m\x00", DurationMS: -1, Attempts: 1 << 40},
	)
	cases := map[string]*Report{
		"every value": {Items: values},
		"fixture":     fixture(),
		"many items":  many,
		"no items":    {Items: []Item{}},
		"nil items":   {},
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

// FuzzJSONItemValues: the item encoder writes any string, number and
// nesting of them as encoding/json does.
func FuzzJSONItemValues(f *testing.F) {
	f.Add("plain", 1.5, int64(3), true)
	f.Add("\u2028<&>\x00\xff\"\\", 1e-7, int64(-1), false)
	f.Add("", 1e21, int64(0), true)
	f.Fuzz(func(t *testing.T, s string, x float64, n int64, b bool) {
		r := &Report{Items: []Item{{ID: s, Message: s, Observations: map[string]any{
			s: s, "x": x, "n": n, "b": b, "l": []any{s, x, map[string]any{s: []any{n, b}}}, "u": uint64(n), "f": float32(x),
		}}}}
		var got bytes.Buffer
		if err := renderJSON(&got, r, Options{}); err != nil {
			t.Fatal(err)
		}
		if want := renderJSONWhole(r); !bytes.Equal(got.Bytes(), want) {
			t.Errorf("differs:\n--- got\n%s\n--- want\n%s", got.Bytes(), want)
		}
	})
}
