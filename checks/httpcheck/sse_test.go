package httpcheck

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/probetest"
)

// parse feeds src to a parser in pieces of size n (0: all at once) and
// returns the events as "type|data" and whether an event was left
// unfinished.
func parse(t *testing.T, src string, n int) ([]string, bool) {
	t.Helper()
	p := &sseParser{max: 1 << 20}
	var got []string
	emit := func(ev sseEvent) error {
		got = append(got, ev.Type+"|"+ev.Data)
		return nil
	}
	b := []byte(src)
	if n == 0 {
		n = len(b) + 1
	}
	for len(b) > 0 {
		k := min(n, len(b))
		if err := p.feed(b[:k], emit); err != nil {
			t.Fatal(err)
		}
		b = b[k:]
	}
	return got, p.pending()
}

// The parser follows the WHATWG event-stream rules whatever the line
// ends and however the bytes are split across reads.
func TestSSEParser(t *testing.T) {
	for _, c := range []struct {
		name    string
		src     string
		want    []string
		pending bool
	}{
		{"lf", "data: a\n\ndata: b\n\n", []string{"message|a", "message|b"}, false},
		{"crlf", "data: a\r\n\r\ndata: b\r\n\r\n", []string{"message|a", "message|b"}, false},
		{"cr", "data: a\r\rdata: b\r\r", []string{"message|a", "message|b"}, false},
		{"multi-line data joined by LF", "data: one\ndata:two\ndata:  three\n\n", []string{"message|one\ntwo\n three"}, false},
		{"comments and keep-alives", ": hello\n:\ndata: x\n: ping\n\n", []string{"message|x"}, false},
		{"event type, reset after dispatch", "event: delta\ndata: 1\n\ndata: 2\n\n", []string{"delta|1", "message|2"}, false},
		{"no data: not dispatched", "event: ping\n\nid: 7\n\ndata: x\n\n", []string{"message|x"}, false},
		{"empty data is an event", "data\n\ndata:\n\n", []string{"message|", "message|"}, false},
		{"BOM dropped", "\xEF\xBB\xBFdata: x\n\n", []string{"message|x"}, false},
		{"unknown fields and retry ignored", "retry: 10\nfoo: bar\ndata: x\n\n", []string{"message|x"}, false},
		{"colon in value kept", "data: a: b\n\n", []string{"message|a: b"}, false},
		{"field without colon", "data\ndata\n\n", []string{"message|\n"}, false},
		{"cut mid-event", "data: a\n\ndata: b\n", []string{"message|a"}, true},
		{"cut mid-line", "data: a\n\ndata: b", []string{"message|a"}, true},
		{"invalid UTF-8 replaced", "data: \xff\n\n", []string{"message|\uFFFD"}, false},
	} {
		for _, n := range []int{0, 1, 2, 3} {
			got, pending := parse(t, c.src, n)
			if !reflect.DeepEqual(got, c.want) || pending != c.pending {
				t.Errorf("%s (pieces of %d): %q pending=%v, want %q pending=%v", c.name, n, got, pending, c.want, c.pending)
			}
		}
	}
}

// A CR ending one read and an LF starting the next are one line end, not
// two (which would dispatch an event early).
func TestSSEParserCRLFSplit(t *testing.T) {
	p := &sseParser{max: 1 << 20}
	var got []string
	emit := func(ev sseEvent) error { got = append(got, ev.Data); return nil }
	for _, piece := range []string{"data: a\r", "\ndata: b\r", "\n\r", "\n"} {
		if err := p.feed([]byte(piece), emit); err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(got, []string{"a\nb"}) {
		t.Errorf("got %q, want one event a\\nb", got)
	}
}

// sseServer answers with an event stream written by write, flushing after
// every call of send.
func sseServer(t *testing.T, contentType string, write func(r *http.Request, send func(string))) *server {
	return newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(http.StatusOK)
		f := w.(http.Flusher)
		f.Flush()
		write(r, func(s string) {
			fmt.Fprint(w, s)
			f.Flush()
		})
	})
}

func runSSE(t *testing.T, src string, timeout time.Duration) probetest.Result {
	t.Helper()
	return probetest.Run(t, probe(t, src), timeout, "")
}

func TestSSETimingCountAndCleanClose(t *testing.T) {
	var accept string
	srv := sseServer(t, "text/event-stream; charset=utf-8", func(r *http.Request, send func(string)) {
		accept = r.Header.Get("Accept")
		time.Sleep(30 * time.Millisecond)
		send("data: {\"n\": 1}\n\n")
		time.Sleep(30 * time.Millisecond)
		send(": keep-alive\n\nevent: note\ndata: plain\n\n")
		time.Sleep(30 * time.Millisecond)
		send("id: 42\ndata: [1,2]\n\n")
	})
	r := runSSE(t, "url: "+srv.URL+"\nstream: sse\n", 5*time.Second)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	o := r.Obs
	first, _ := o["first_event"].(time.Duration)
	last, _ := o["last_event"].(time.Duration)
	if first < 25*time.Millisecond || last < first+50*time.Millisecond || o["latency"].(time.Duration) < last {
		t.Errorf("first_event %v, last_event %v, latency %v: not the times the events came", first, last, o["latency"])
	}
	if o["events"] != 3 || o["done"] != true || o["last_event_id"] != "42" {
		t.Errorf("events %v done %v last_event_id %v", o["events"], o["done"], o["last_event_id"])
	}
	want := []any{map[string]any{"n": 1.0}, "plain", []any{1.0, 2.0}}
	if !reflect.DeepEqual(o["data"], want) || !reflect.DeepEqual(o["event_types"], []any{"message", "note", "message"}) {
		t.Errorf("data %#v, event_types %v", o["data"], o["event_types"])
	}
	if o["json"] != nil || !strings.Contains(o["body"].(string), "data: [1,2]") {
		t.Errorf("json %v, body %q", o["json"], o["body"])
	}
	if accept != "text/event-stream" {
		t.Errorf("Accept %q", accept)
	}
}

// OpenAI-style: chunks, then data: [DONE]. Reading stops at the marker
// even when the server keeps the connection open.
func TestSSEDoneSentinel(t *testing.T) {
	srv := sseServer(t, "text/event-stream", func(r *http.Request, send func(string)) {
		for _, w := range []string{"Hel", "lo", "!"} {
			send(`data: {"choices":[{"delta":{"content":"` + w + `"}}]}` + "\n\n")
		}
		send("data: [DONE]\n\n")
		<-r.Context().Done()
	})
	start := time.Now()
	r := runSSE(t, "url: "+srv.URL+"\nstream: sse\n", 5*time.Second)
	if r.Err != nil || time.Since(start) > 2*time.Second {
		t.Fatalf("%v after %v", r.Err, time.Since(start))
	}
	if r.Obs["events"] != 3 || r.Obs["done"] != true {
		t.Errorf("events %v done %v", r.Obs["events"], r.Obs["done"])
	}
	d := r.Obs["data"].([]any)
	if c := d[0].(map[string]any)["choices"].([]any)[0].(map[string]any)["delta"].(map[string]any)["content"]; c != "Hel" {
		t.Errorf("data[0].choices[0].delta.content = %v", c)
	}

	// A custom end event, without [DONE].
	srv2 := sseServer(t, "text/event-stream", func(r *http.Request, send func(string)) {
		send("event: content\ndata: x\n\nevent: message_stop\ndata: {}\n\n")
		<-r.Context().Done()
	})
	r = runSSE(t, "url: "+srv2.URL+"\nstream: sse\ndone_event: message_stop\n", 5*time.Second)
	if r.Err != nil || r.Obs["events"] != 1 || r.Obs["done"] != true {
		t.Errorf("done_event: %v events %v done %v", r.Err, r.Obs["events"], r.Obs["done"])
	}
}

// A stream that stalls mid-way ends in timeout within the deadline, with
// the events received so far observed.
func TestSSEStallTimesOut(t *testing.T) {
	srv := sseServer(t, "text/event-stream", func(r *http.Request, send func(string)) {
		send("data: one\n\n")
		send("data: two\n\n")
		<-r.Context().Done()
	})
	r := runSSE(t, "url: "+srv.URL+"\nstream: sse\n", 300*time.Millisecond)
	r.Want(t, "error", "still open, without its end", "2 events, the last")
	if r.Reason() != checks.ReasonTimeout {
		t.Errorf("reason %q, want timeout: %v", r.Reason(), r.Err)
	}
	if r.Elapsed > 2*time.Second {
		t.Errorf("took %v with a 300ms deadline", r.Elapsed)
	}
	if r.Obs["events"] != 2 || r.Obs["done"] != false || !reflect.DeepEqual(r.Obs["data"], []any{"one", "two"}) {
		t.Errorf("observed %v", r.Obs)
	}
}

// What ends a stream cleanly is configurable, and a stream cut in the
// middle of an event never ended cleanly.
func TestSSEDoneRules(t *testing.T) {
	for _, c := range []struct {
		name, opts, stream string
		done               bool
	}{
		{"close after events", "", "data: a\n\n", true},
		{"close without events", "", ": nothing\n\n", false},
		{"close mid-event", "", "data: a\n\ndata: b\n", false},
		{"close, done_on_close false", "done_on_close: false\n", "data: a\n\n", false},
		{"sentinel, done_on_close false", "done_on_close: false\n", "data: a\n\ndata: [DONE]\n\n", true},
		{"custom sentinel", "done: END\n", "data: a\n\ndata: END\n\ndata: after\n\n", true},
		{"sentinel off: [DONE] is data", "done: \"\"\n", "data: [DONE]\n\n", true},
	} {
		srv := sseServer(t, "text/event-stream", func(_ *http.Request, send func(string)) { send(c.stream) })
		r := runSSE(t, "url: "+srv.URL+"\nstream: sse\n"+c.opts, 5*time.Second)
		if r.Err != nil || r.Obs["done"] != c.done {
			t.Errorf("%s: %v, done %v, want %v", c.name, r.Err, r.Obs["done"], c.done)
		}
		if c.name == "custom sentinel" && r.Obs["events"] != 1 {
			t.Errorf("%s: read past the end marker: %v", c.name, r.Obs["data"])
		}
		if c.name == "sentinel off: [DONE] is data" && r.Obs["events"] != 1 {
			t.Errorf("%s: events %v", c.name, r.Obs["events"])
		}
	}
}

// Too many events, too many bytes and too large an event are refused with
// reason too_large, the events so far observed; the read stops there.
func TestSSEBounds(t *testing.T) {
	endless := sseServer(t, "text/event-stream", func(r *http.Request, send func(string)) {
		for i := 0; r.Context().Err() == nil; i++ {
			send(fmt.Sprintf("data: %d\n\n", i))
		}
	})
	r := runSSE(t, "url: "+endless.URL+"\nstream: sse\nmax_events: 5\n", 5*time.Second)
	r.Want(t, "error", "more than 5 events (max_events)")
	if r.Reason() != checks.ReasonTooLarge || r.Obs["events"] != 5 {
		t.Errorf("reason %q events %v", r.Reason(), r.Obs["events"])
	}
	// The default bound stops an endless stream too.
	r = runSSE(t, "url: "+endless.URL+"\nstream: sse\nmax_body_bytes: 10000000\n", 10*time.Second)
	if r.Reason() != checks.ReasonTooLarge || r.Obs["events"] != defaultMaxEvents {
		t.Errorf("default max_events: %v, events %v", r.Err, r.Obs["events"])
	}

	r = runSSE(t, "url: "+endless.URL+"\nstream: sse\nmax_body_bytes: 100\n", 5*time.Second)
	r.Want(t, "error", "longer than max_body_bytes")
	if r.Reason() != checks.ReasonTooLarge || len(r.Obs["body"].(string)) != 100 {
		t.Errorf("reason %q, body %d bytes", r.Reason(), len(r.Obs["body"].(string)))
	}

	big := sseServer(t, "text/event-stream", func(_ *http.Request, send func(string)) {
		send("data: small\n\n")
		send("data: " + strings.Repeat("x", 60) + "\ndata: " + strings.Repeat("x", 60) + "\n\n")
	})
	r = runSSE(t, "url: "+big.URL+"\nstream: sse\nmax_event_bytes: 100\n", 5*time.Second)
	r.Want(t, "error", "an event's data is longer than max_event_bytes (100 bytes)")
	if r.Reason() != checks.ReasonTooLarge || r.Obs["events"] != 1 {
		t.Errorf("reason %q events %v", r.Reason(), r.Obs["events"])
	}
	longLine := sseServer(t, "text/event-stream", func(_ *http.Request, send func(string)) {
		send(": " + strings.Repeat("x", 5000))
	})
	r = runSSE(t, "url: "+longLine.URL+"\nstream: sse\nmax_event_bytes: 100\n", 5*time.Second)
	r.Want(t, "error", "a line of the stream is longer than max_event_bytes")
}

// An answer that is not an event stream fails, saying so; an error status
// fails on the status, its body read as usual.
func TestSSEWrongAnswer(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/down" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		fmt.Fprint(w, `{"choices":[]}`)
	})
	r := runSSE(t, "url: "+srv.URL+"\nstream: sse\n", 5*time.Second)
	r.Want(t, "fail", `content-type "application/json" is not text/event-stream`)
	if _, ok := r.Obs["events"]; ok || r.Obs["json"] == nil {
		t.Errorf("observed %v", r.Obs)
	}
	r = runSSE(t, "url: "+srv.URL+"/down\nstream: sse\n", 5*time.Second)
	r.Want(t, "fail", "status 503, expected 2xx")
	if strings.Contains(r.Err.Error(), "content-type") {
		t.Errorf("an error page's content type is not news: %v", r.Err)
	}
}

// POST with a JSON body streams too (a chat completion).
func TestSSEPost(t *testing.T) {
	srv := sseServer(t, "text/event-stream", func(r *http.Request, send func(string)) {
		if r.Method != http.MethodPost {
			return
		}
		send("data: ok\n\ndata: [DONE]\n\n")
	})
	r := runSSE(t, "url: "+srv.URL+"\nmethod: POST\njson: {stream: true}\nstream: sse\n", 5*time.Second)
	if r.Err != nil || r.Obs["events"] != 1 || r.Obs["done"] != true {
		t.Errorf("%v %v", r.Err, r.Obs)
	}
	if b := srv.sentBodies(); len(b) != 1 || b[0] != `{"stream":true}` {
		t.Errorf("sent %q", b)
	}
}

func TestSSEValidate(t *testing.T) {
	for src, want := range map[string]string{
		"url: http://x\nstream: websocket":                             "stream: unknown stream",
		"url: http://x\nmax_events: 5":                                 "max_events: max_events applies to a stream",
		"url: http://x\ndone: END":                                     "done: done applies to a stream",
		"url: http://x\ndone_event: stop":                              "done_event: done_event applies",
		"url: http://x\nstream: sse\nmax_events: -1":                   "max_events: must be greater than 0",
		"url: http://x\nstream: sse\nmethod: HEAD":                     "method: a HEAD request has no body",
		"url: http://x\nstream: sse\nauth_required: true":              "auth_required: auth_required sends the request again",
		"url: http://x\nstream: sse\nrate_limit: {requests: 5}":        "rate_limit: rate_limit sends the request again",
		"url: http://x\nstream: sse\nrequest_id: {header: X-Req}":      "request_id: request_id sends the request again",
		"url: http://x\nstream: sse\ndone: \"\"\ndone_on_close: false": "nothing can end the stream cleanly",
	} {
		_, err := loadErr(src)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", src, err, want)
		}
	}
	for _, ok := range []string{
		"url: http://x\nstream: sse\nrequest_id: {generated: true}\nsecurity_headers: baseline",
		"url: http://x\nstream: sse\nmethod: POST\nmax_events: 3\nmax_event_bytes: 10\ndone: END\ndone_event: stop\ndone_on_close: false",
	} {
		if _, err := loadErr(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}
