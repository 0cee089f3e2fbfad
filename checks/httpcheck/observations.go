package httpcheck

import (
	"fmt"
	"strings"

	"github.com/readyctl/readyctl/checks"
)

// observations are what `expect:` can use, type-checked at load.
var observations = []checks.Observation{
	{Name: "status", Type: checks.TypeInt, Doc: "HTTP status code of the response", Key: true},
	{Name: "latency", Type: checks.TypeDuration, Doc: "time from sending the request to the end of the body, connecting and the TLS handshake included unless connection_reused", Key: true},
	{Name: "connection_reused", Type: checks.TypeBool, Doc: "the request went over a connection opened before it: by an earlier item of the same round to the same server, or by an earlier step of the same flow (so latency has no connecting or TLS handshake in it); always false with fresh_connection, on a retry, and for methods other than GET, HEAD and OPTIONS in an http item"},
	{Name: "headers", Type: checks.TypeMap, Doc: `response headers by lower-case name, e.g. headers["content-type"]`, Why: whyHeader},
	{Name: "body", Type: checks.TypeString, Doc: "response body, at most max_body_bytes"},
	{Name: "json", Type: checks.TypeAny, Doc: "the body parsed as JSON, or nil when it is not JSON, e.g. json.status", Why: whyNotJSON},
	{Name: "url", Type: checks.TypeString, Doc: "final URL, after redirects, without credentials", Key: true},
	{Name: "security_headers", Type: checks.TypeMap, Doc: "with security_headers: level, ok and one entry per header checked ({ok, value, want})"},
	{Name: "https_redirect", Type: checks.TypeMap, Doc: "with https_redirect: the plain-http answer"},
	{Name: "https_redirect.url", Type: checks.TypeString, Doc: "plain-http URL requested"},
	{Name: "https_redirect.status", Type: checks.TypeInt, Doc: "its status, nil when it did not answer"},
	{Name: "https_redirect.location", Type: checks.TypeString, Doc: "its Location header, nil when absent"},
	{Name: "https_redirect.ok", Type: checks.TypeBool, Doc: "the redirect is what https_redirect requires"},
	{Name: "cors", Type: checks.TypeMap, Doc: "with cors: origin, method, preflight, arbitrary_origin, arbitrary_origin_reflected, ok"},
	{Name: "request_id", Type: checks.TypeMap, Doc: "with request_id: header, generated, sent, received, ok"},
	{Name: "auth_required", Type: checks.TypeMap, Doc: "with auth_required: one entry per unauthenticated attempt ({status, refused, www_authenticate}), www_authenticate, ok"},
	{Name: "injection", Type: checks.TypeMap, Doc: "with injection: in, params (per param: canary, status, db_error, reflected), ok"},
	{Name: "rate_limit", Type: checks.TypeMap, Doc: "with rate_limit: what the burst provoked"},
	{Name: "rate_limit.requests_sent", Type: checks.TypeInt, Doc: "requests of the burst actually sent"},
	{Name: "rate_limit.limited", Type: checks.TypeBool, Doc: "an answer had expect_status"},
	{Name: "rate_limit.status", Type: checks.TypeInt, Doc: "status of the first limited answer, nil when none"},
	{Name: "rate_limit.retry_after", Type: checks.TypeString, Doc: "its Retry-After header, nil when absent"},
	{Name: "rate_limit.headers", Type: checks.TypeMap, Doc: "its RateLimit headers by lower-case name"},
	{Name: "rate_limit.statuses", Type: checks.TypeMap, Doc: "count of answers per status code, e.g. statuses[\"429\"]"},
	{Name: "requests_until_limited", Type: checks.TypeInt, Doc: "with rate_limit: the number of the first limited request, nil when none was"},
	// With stream: sse only (absent otherwise, and when the answer was
	// not an event stream).
	{Name: "events", Type: checks.TypeInt, Doc: "with stream: sse: events received, not counting the end marker", Key: true, Why: whyStream},
	{Name: "first_event", Type: checks.TypeDuration, Doc: `with stream: sse: time from sending the request to the first event, nil when none came, e.g. first_event < duration("500ms")`, Key: true, Why: whyStream},
	{Name: "last_event", Type: checks.TypeDuration, Doc: "with stream: sse: time from sending the request to the last event (before the end marker), nil when none came", Why: whyStream},
	{Name: "done", Type: checks.TypeBool, Doc: "with stream: sse: the stream ended cleanly: the end marker came (done, done_event), or the server closed it after at least one event and not in the middle of one (done_on_close)", Key: true, Why: whyStream},
	{Name: "data", Type: checks.TypeList, Doc: `with stream: sse: each event's data (its data lines joined with "\n"), parsed JSON when it is JSON, else the text, e.g. data[0].choices[0].delta.content != ""`, Why: whyStream},
	{Name: "event_types", Type: checks.TypeList, Doc: `with stream: sse: each event's type (its event: field, "message" when absent), in the order of data`, Why: whyStream},
	{Name: "last_event_id", Type: checks.TypeString, Doc: "with stream: sse: the last id: the stream set, nil when it set none", Why: whyStream},
}

// whyStream explains a missing stream observation.
func whyStream(obs checks.Observations, _ string) string {
	if _, ok := obs["events"]; ok {
		return ""
	}
	return "stream observations exist only with stream: sse, when the answer is a text/event-stream"
}

// whyNotJSON explains a nil json: what the body was instead.
func whyNotJSON(obs checks.Observations, _ string) string {
	if obs["json"] != nil {
		return ""
	}
	body, _ := obs["body"].(string)
	ct := "none"
	if h, ok := obs["headers"].(map[string]any); ok {
		if v, ok := h["content-type"].(string); ok && v != "" {
			ct = v
		}
	}
	if body == "" {
		return fmt.Sprintf("the body is empty, not JSON (content-type %s)", ct)
	}
	return fmt.Sprintf("the body is not JSON (content-type %s)", ct)
}

// whyHeader explains a missing header, most often a name written with
// capitals.
func whyHeader(obs checks.Observations, key string) string {
	if key == "" {
		return ""
	}
	if lower := strings.ToLower(key); lower != key {
		return fmt.Sprintf("header names are lower case: write headers[%q]", lower)
	}
	return fmt.Sprintf("the response has no %s header", key)
}
