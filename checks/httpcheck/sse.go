package httpcheck

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/readyctl/readyctl/checks"
)

// `stream: sse` reads a text/event-stream answer event by event, as a
// browser's EventSource would (WHATWG HTML, "server-sent events"), and
// observes when the events came and what they carried. The stream is
// bounded three ways: the item's deadline (a stalled stream ends in
// timeout, with the events seen so far observed), max_events, and
// max_body_bytes for the whole stream with max_event_bytes for one event.

const (
	streamSSE = "sse"

	defaultMaxEvents     = 10000
	defaultMaxEventBytes = 256 << 10
	defaultDoneSentinel  = "[DONE]"
)

// streamLimits are the stream options with their defaults applied.
type streamLimits struct {
	maxEvents   int
	maxEvent    int   // bytes of one line or one event's data
	maxTotal    int64 // bytes of the whole stream
	sentinel    string
	doneEvent   string
	doneOnClose bool
}

func (p *Probe) streamLimits() streamLimits {
	l := streamLimits{
		maxEvents:   defaultMaxEvents,
		maxEvent:    defaultMaxEventBytes,
		maxTotal:    p.MaxBodyBytes,
		sentinel:    defaultDoneSentinel,
		doneEvent:   p.DoneEvent,
		doneOnClose: true,
	}
	if p.MaxEvents > 0 {
		l.maxEvents = p.MaxEvents
	}
	if p.MaxEventBytes > 0 {
		l.maxEvent = int(min(p.MaxEventBytes, 1<<30))
	}
	l.maxEvent = int(min(int64(l.maxEvent), l.maxTotal))
	if p.Done != nil {
		l.sentinel = *p.Done
	}
	if p.DoneOnClose != nil {
		l.doneOnClose = *p.DoneOnClose
	}
	return l
}

// validateStream checks the stream options: they need stream: sse, and
// the blocks that send the request again do not combine with a stream
// (their copy of the request would stream until the deadline too).
func (p *Probe) validateStream() error {
	if p.Stream == "" {
		for _, f := range []struct {
			name string
			set  bool
		}{
			{"max_events", p.MaxEvents != 0},
			{"max_event_bytes", p.MaxEventBytes != 0},
			{"done", p.Done != nil},
			{"done_event", p.DoneEvent != ""},
			{"done_on_close", p.DoneOnClose != nil},
		} {
			if f.set {
				return checks.FieldErrorf(f.name, "%s applies to a stream: add stream: sse", f.name)
			}
		}
		return nil
	}
	if p.Stream != streamSSE {
		return checks.FieldErrorf("stream", "unknown stream %q: the one supported is sse (text/event-stream)", p.Stream)
	}
	if p.Method == http.MethodHead {
		return checks.FieldErrorf("method", "a HEAD request has no body to stream: use GET or POST with stream: sse")
	}
	if p.MaxEvents < 0 {
		return checks.FieldErrorf("max_events", "must be greater than 0")
	}
	if p.MaxEventBytes < 0 {
		return checks.FieldErrorf("max_event_bytes", "must be greater than 0")
	}
	if p.Done != nil && *p.Done == "" && p.DoneEvent == "" && p.DoneOnClose != nil && !*p.DoneOnClose {
		return checks.FieldErrorf("done_on_close", "with done: \"\", no done_event and done_on_close: false nothing can end the stream cleanly: done would always be false")
	}
	for _, b := range []struct {
		name string
		on   bool
	}{
		{"request_id", p.RequestID != nil && !p.RequestID.Generated},
		{"auth_required", p.AuthRequired},
		{"injection", p.Injection != nil},
		{"rate_limit", p.RateLimit != nil},
	} {
		if b.on {
			return checks.FieldErrorf(b.name, "%s sends the request again, which does not combine with stream: sse; check it in an item without stream", b.name)
		}
	}
	return nil
}

// isEventStream reports whether the answer says it is an event stream.
func isEventStream(h http.Header) bool {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	return err == nil && mt == "text/event-stream"
}

// errStreamEnd stops the parser at the end marker: what follows it is
// not read.
var errStreamEnd = errors.New("end of stream")

// readStream reads an event stream from body into obs (events,
// first_event, last_event, done, data, event_types, last_event_id) and
// returns the raw text read, at most max_body_bytes. start is when the
// request was sent. The observations are recorded whatever happens, so a
// stream cut by the deadline shows what it delivered.
func (p *Probe) readStream(ctx context.Context, body io.Reader, start time.Time, obs checks.Observations) ([]byte, error) {
	lim := p.streamLimits()
	var (
		data        = []any{}
		types       = []any{}
		first, last time.Duration
		ended       bool // the end marker came
		closed      bool // the server closed the stream
		now         time.Duration
	)
	parser := &sseParser{max: lim.maxEvent}
	emit := func(ev sseEvent) error {
		if (lim.sentinel != "" && strings.TrimSpace(ev.Data) == lim.sentinel) || (lim.doneEvent != "" && ev.Type == lim.doneEvent) {
			ended = true
			return errStreamEnd
		}
		if len(data) >= lim.maxEvents {
			return checks.WithReason(checks.ReasonTooLarge, fmt.Errorf("the stream sent more than %d events (max_events) without ending", lim.maxEvents))
		}
		if len(data) == 0 {
			first = now
		}
		last = now
		data = append(data, eventData(ev.Data))
		types = append(types, ev.Type)
		return nil
	}
	defer func() {
		obs["events"] = len(data)
		obs["data"] = data
		obs["event_types"] = types
		obs["first_event"], obs["last_event"] = nil, nil
		if len(data) > 0 {
			obs["first_event"], obs["last_event"] = first, last
		}
		obs["last_event_id"] = nil
		if parser.sawID {
			obs["last_event_id"] = parser.lastID
		}
		// A close in the middle of an event is a cut, not an end: the
		// spec drops the unfinished event, and so does done.
		obs["done"] = ended || (closed && lim.doneOnClose && len(data) > 0 && !parser.pending())
	}()

	var buf bytes.Buffer
	chunk := make([]byte, 32<<10)
	for {
		n, rerr := body.Read(chunk)
		if n > 0 {
			now = time.Since(start)
			room := lim.maxTotal - int64(buf.Len())
			over := int64(n) > room
			if over {
				n = int(room)
			}
			buf.Write(chunk[:n])
			ferr := parser.feed(chunk[:n], emit)
			switch {
			case errors.Is(ferr, errStreamEnd):
				return buf.Bytes(), nil
			case ferr != nil:
				return buf.Bytes(), ferr
			case over:
				return buf.Bytes(), checks.WithReason(checks.ReasonTooLarge,
					fmt.Errorf("the stream is longer than max_body_bytes (%s) after %d events, without ending", fmtBytes(int(lim.maxTotal)), len(data)))
			}
		}
		switch {
		case rerr == io.EOF:
			closed = true
			return buf.Bytes(), nil
		case rerr != nil:
			if cerr := ctx.Err(); cerr != nil {
				return buf.Bytes(), fmt.Errorf("the stream was still open, without its end, when the attempt stopped: %d events%s: %w", len(data), lastAt(len(data), last), cerr)
			}
			return buf.Bytes(), fmt.Errorf("the stream broke before its end after %d events%s: %w", len(data), lastAt(len(data), last), rerr)
		}
	}
}

func lastAt(n int, last time.Duration) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", the last %s after the request", last.Round(time.Millisecond))
}

// eventData is an event's data for the data observation: parsed JSON
// when it is JSON, the text otherwise.
func eventData(s string) any {
	var v any
	if json.Unmarshal([]byte(s), &v) == nil {
		return v
	}
	return s
}

// sseEvent is one dispatched event.
type sseEvent struct {
	Type string // "message" unless the stream named it
	Data string // data lines joined with "\n"
}

// sseParser is the event-stream interpretation of the WHATWG HTML
// standard, fed bytes as they arrive: lines end with CRLF, LF or CR (a CR
// at the end of one read and an LF at the start of the next are one line
// end), a leading BOM is dropped, ":" starts a comment, "field: value"
// loses one space after the colon, a blank line dispatches the event,
// an event without data lines is not dispatched, and retry: is ignored
// (readyctl does not reconnect). Lines and event data longer than max
// bytes are refused rather than buffered.
type sseParser struct {
	max     int
	line    []byte
	skipLF  bool // the last byte was a CR
	started bool // the first line (and its BOM) is behind
	typ     string
	data    []byte // data lines, each followed by "\n"
	lastID  string
	sawID   bool
}

var bom = []byte("\xEF\xBB\xBF")

// feed parses b, calling emit for every event it completes; an error
// from emit stops it.
func (p *sseParser) feed(b []byte, emit func(sseEvent) error) error {
	for len(b) > 0 {
		if p.skipLF {
			p.skipLF = false
			if b[0] == '\n' {
				b = b[1:]
				continue
			}
		}
		i := bytes.IndexAny(b, "\r\n")
		if i < 0 {
			if err := p.grow(b); err != nil {
				return err
			}
			return nil
		}
		if err := p.grow(b[:i]); err != nil {
			return err
		}
		p.skipLF = b[i] == '\r'
		b = b[i+1:]
		if err := p.processLine(emit); err != nil {
			return err
		}
	}
	return nil
}

func (p *sseParser) grow(b []byte) error {
	// Room for the field name beside max bytes of value.
	if len(p.line)+len(b) > p.max+64 {
		return checks.WithReason(checks.ReasonTooLarge, fmt.Errorf("a line of the stream is longer than max_event_bytes (%s)", fmtBytes(p.max)))
	}
	p.line = append(p.line, b...)
	return nil
}

func (p *sseParser) processLine(emit func(sseEvent) error) error {
	line := p.line
	p.line = p.line[:0]
	if !p.started {
		p.started = true
		line = bytes.TrimPrefix(line, bom)
	}
	if len(line) == 0 {
		return p.dispatch(emit)
	}
	if line[0] == ':' {
		return nil // a comment, often a keep-alive
	}
	field, value := line, []byte(nil)
	if i := bytes.IndexByte(line, ':'); i >= 0 {
		field, value = line[:i], line[i+1:]
		value = bytes.TrimPrefix(value, []byte(" "))
	}
	switch string(field) {
	case "event":
		p.typ = text(value)
	case "data":
		if len(p.data)+len(value) > p.max {
			return checks.WithReason(checks.ReasonTooLarge, fmt.Errorf("an event's data is longer than max_event_bytes (%s)", fmtBytes(p.max)))
		}
		p.data = append(p.data, value...)
		p.data = append(p.data, '\n')
	case "id":
		if bytes.IndexByte(value, 0) < 0 {
			p.lastID, p.sawID = text(value), true
		}
	}
	return nil
}

func (p *sseParser) dispatch(emit func(sseEvent) error) error {
	typ := p.typ
	p.typ = ""
	if len(p.data) == 0 {
		return nil
	}
	ev := sseEvent{Type: typ, Data: text(p.data[:len(p.data)-1])}
	p.data = p.data[:0]
	if ev.Type == "" {
		ev.Type = "message"
	}
	return emit(ev)
}

// pending reports whether an event was begun and not finished by a blank
// line: at the end of the stream, the stream was cut.
func (p *sseParser) pending() bool {
	return len(p.line) > 0 || len(p.data) > 0 || p.typ != ""
}

// text decodes b as UTF-8, invalid bytes replaced, as the standard says.
func text(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}
