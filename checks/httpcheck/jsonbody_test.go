package httpcheck

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDecodeJSONMatchesUnmarshal(t *testing.T) {
	for _, src := range []string{
		`{"a": [1, 2.5, "x", true, null, {"b": {}}], "c": []}`,
		` "text" `, `42`, `null`, `[]`, `{"dup": 1, "dup": 2}`, "\"\xff invalid utf8\"",
		`{"a": 1} trailing`, `{"a": }`, `<html>`, ``, `[1, 2`, `{"a":1}{"b":2}`,
	} {
		var want any
		wantErr := json.Unmarshal([]byte(src), &want)
		got, err := decodeJSON(context.Background(), []byte(src))
		if (err != nil) != (wantErr != nil) || !reflect.DeepEqual(got, want) {
			t.Errorf("%q: got %#v, %v; json.Unmarshal: %#v, %v", src, got, err, want, wantErr)
		}
	}
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
