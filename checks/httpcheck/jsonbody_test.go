package httpcheck

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

var jsonSeeds = []string{
	`{"a": [1, 2.5, "x", true, null, {"b": {}}], "c": []}`,
	` "text" `, `42`, `-0.5e+3`, `1e400`, `01`, `1.`, `-`, `null`, `nul`, `[]`, `{"dup": 1, "dup": 2}`,
	"\"\xff invalid utf8\"", `"\ud800 lone \u00e9 \n \" \/"`, "\"tab\tinside\"", `"\x"`,
	`{"a": 1} trailing`, `{"a": }`, `<html>`, ``, ` `, `[1, 2`, `[1,]`, `{"a":1,}`, `{"a":1}{"b":2}`,
	`{1: 2}`, "[\u00a0]", "\t[ true ,false ]\r\n",
}

func sameAsUnmarshal(t *testing.T, src string) {
	var want any
	wantErr := json.Unmarshal([]byte(src), &want)
	got, err := decodeJSON(context.Background(), []byte(src))
	if (err != nil) != (wantErr != nil) || !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: got %#v, %v; json.Unmarshal: %#v, %v", src, got, err, want, wantErr)
	}
}

func TestDecodeJSONMatchesUnmarshal(t *testing.T) {
	for _, src := range jsonSeeds {
		sameAsUnmarshal(t, src)
	}
}

// FuzzDecodeJSON: the deadline-aware parser gives what json.Unmarshal
// gives, for any input.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add(s)
	}
	f.Fuzz(sameAsUnmarshal)
}

func TestDecodeJSONDepthCap(t *testing.T) {
	deep := strings.Repeat("[", maxJSONDepth+1) + strings.Repeat("]", maxJSONDepth+1)
	if _, err := decodeJSON(context.Background(), []byte(deep)); !errors.Is(err, errNotJSON) {
		t.Errorf("%d levels: %v", maxJSONDepth+1, err)
	}
	ok := strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth)
	if _, err := decodeJSON(context.Background(), []byte(ok)); err != nil {
		t.Errorf("%d levels: %v", maxJSONDepth, err)
	}
}

// A deadline that passes while a large body is parsed stops the parse.
func TestDecodeJSONStopsAtDeadline(t *testing.T) {
	body := []byte("[" + strings.Repeat(`{"k":"v"},`, 1<<20) + "0]") // 10 MiB, 3M tokens
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	_, err := decodeJSON(ctx, body)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want the context's error", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %s after the deadline", d)
	}
}

func BenchmarkDecodeJSON(b *testing.B) {
	body := []byte("[" + strings.Repeat(`{"id":12345,"name":"some name","tags":["a","b"],"ok":true},`, 1<<14) + "0]")
	b.SetBytes(int64(len(body)))
	b.Run("decodeJSON", func(b *testing.B) {
		for b.Loop() {
			decodeJSON(context.Background(), body)
		}
	})
	b.Run("Unmarshal", func(b *testing.B) {
		for b.Loop() {
			var v any
			json.Unmarshal(body, &v)
		}
	})
}

// The deadline passing once the body is read (a 5.5 MiB JSON body, body
// cap raised) ends the attempt with the deadline's error instead of
// parsing the whole body (an 8 s item took 22.9 s).
func TestLargeBodyParsedUnderDeadline(t *testing.T) {
	big := "[" + strings.Repeat(`{"k":"v","n":[1,2,3]},`, 1<<18) + "0]"
	srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, big)
	})
	p := load(t, "url: "+srv.URL+"\nmax_body_bytes: 100000000\n")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	afterRead = cancel
	defer func() { afterRead = func() {} }()
	start := time.Now()
	obs, err := p.Run(ctx)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "MiB of body read, then parsing the JSON body") {
		t.Fatalf("err = %v, want the deadline's error while parsing", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s", d)
	}
	if obs["status"] != 200 || obs["json"] != nil {
		t.Errorf("observations: status %v, json %T", obs["status"], obs["json"])
	}

	// With time to spare, the same body parses, token by token.
	afterRead = func() {}
	obs, err = p.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if list, ok := obs["json"].([]any); !ok || len(list) != 1<<18+1 {
		t.Errorf("json observation: %T", obs["json"])
	}
}
