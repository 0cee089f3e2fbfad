package httpcheck

import (
	"context"
	"fmt"
	"strings"

	"github.com/readyctl/readyctl/checks"
)

// RequestID is the `request_id:` block.
type RequestID struct {
	Header    string `yaml:"header" doc:"request-id header name (default X-Request-ID)"`
	Generated bool   `yaml:"generated" doc:"false: send a fresh id (1 extra request) and expect it echoed; true: send nothing extra, expect the main response to carry the header"`
}

const defaultRequestIDHeader = "X-Request-ID"

func (p *Probe) validateRequestID() error {
	r := p.RequestID
	if r == nil {
		return nil
	}
	r.Header = strings.TrimSpace(r.Header)
	if r.Header == "" {
		r.Header = defaultRequestIDHeader
	}
	if strings.ContainsAny(r.Header, " \t:\r\n") {
		return checks.FieldErrorf("request_id.header", "request_id.header %q is not a header name", r.Header)
	}
	if !r.Generated {
		return p.requireSafeMethod("request_id")
	}
	return nil
}

// checkRequestID with generated: true looks at the main response; else it
// repeats the request once with a fresh UUID in the header.
func checkRequestID(ctx context.Context, e *env, obs checks.Observations) ([]string, error) {
	r := e.p.RequestID
	o := map[string]any{"header": r.Header, "generated": r.Generated, "sent": nil, "received": nil, "ok": false}
	obs["request_id"] = o
	if r.Generated {
		got := e.main.Header.Get(r.Header)
		o["received"] = nilIfEmpty(got)
		if strings.TrimSpace(got) == "" {
			return []string{fmt.Sprintf("response has no %s header (generated: true wants the server to set one)", r.Header)}, nil
		}
		o["ok"] = true
		return nil, nil
	}
	req, err := e.p.request(ctx)
	if err != nil {
		return nil, err
	}
	id := newUUID()
	req.Header.Set(r.Header, id)
	o["sent"] = id
	resp, err := e.do(e.client, req)
	if err != nil {
		return nil, err
	}
	got := strings.Join(resp.Header.Values(r.Header), ", ")
	o["received"] = nilIfEmpty(got)
	switch {
	case got == "":
		return []string{fmt.Sprintf("sent %s %s, the response has no %s header", r.Header, id, r.Header)}, nil
	case got != id:
		return []string{fmt.Sprintf("sent %s %s, the response has %q: the id is not echoed", r.Header, id, got)}, nil
	}
	o["ok"] = true
	return nil, nil
}

// newUUID returns a random (version 4) UUID: the format request-id
// middleware most often validates.
func newUUID() string {
	h := []byte(randomHex(16))
	h[12] = '4'                                                    // version
	h[16] = "89ab"[strings.IndexByte("0123456789abcdef", h[16])%4] // variant 10xx
	s := string(h)
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:32]
}
