package httpcheck

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func TestRequestID(t *testing.T) {
	echo := func(w http.ResponseWriter, r *http.Request) {
		if id := r.Header.Get("X-Request-ID"); id != "" {
			w.Header().Set("X-Request-ID", id)
		}
	}
	generateAlways := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-ID", "srv-generated-42")
	}
	echoOrGenerate := func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Correlation-ID")
		if id == "" {
			id = "srv-generated-42"
		}
		w.Header().Set("X-Correlation-ID", id)
	}
	nothing := func(http.ResponseWriter, *http.Request) {}

	tests := []struct {
		name     string
		handler  http.HandlerFunc
		cfg      string
		requests int
		fails    []string
	}{
		{name: "echoed", handler: echo, cfg: "{header: X-Request-ID}", requests: 2},
		{name: "default header", handler: echo, cfg: "{}", requests: 2},
		{name: "custom header echoed", handler: echoOrGenerate, cfg: "{header: X-Correlation-ID}", requests: 2},
		{name: "not echoed: server generates its own", handler: generateAlways, cfg: "{header: X-Request-ID}", requests: 2,
			fails: []string{`request_id: sent X-Request-ID `, `, the response has "srv-generated-42": the id is not echoed`}},
		{name: "missing", handler: nothing, cfg: "{header: X-Request-ID}", requests: 2,
			fails: []string{"request_id: sent X-Request-ID ", ", the response has no X-Request-ID header"}},
		{name: "generated present", handler: generateAlways, cfg: "{generated: true}", requests: 1},
		{name: "generated missing", handler: nothing, cfg: "{header: X-Trace-ID, generated: true}", requests: 1,
			fails: []string{"request_id: response has no X-Trace-ID header (generated: true wants the server to set one)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, tt.handler)
			obs, err := run(t, load(t, "url: "+srv.URL+"\nrequest_id: "+tt.cfg+"\n"))
			if n := srv.count(); n != tt.requests {
				t.Errorf("%d requests, want %d", n, tt.requests)
			}
			if len(tt.fails) == 0 {
				wantPass(t, err)
				if sub(t, obs, "request_id", "ok") != true {
					t.Errorf("observation = %v", obs["request_id"])
				}
				return
			}
			wantFail(t, err, tt.fails...)
		})
	}
}

func TestRequestIDFresh(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-ID", r.Header.Get("X-Request-ID"))
	})
	p := load(t, "url: "+srv.URL+"\nrequest_id: {}\n")
	seen := map[string]bool{}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for i := 0; i < 3; i++ {
		obs, err := run(t, p)
		wantPass(t, err)
		id := sub(t, obs, "request_id", "sent").(string)
		if !uuid.MatchString(id) || seen[id] {
			t.Errorf("id %q is not a fresh UUIDv4", id)
		}
		seen[id] = true
		if sub(t, obs, "request_id", "received") != id {
			t.Errorf("received = %v", obs["request_id"])
		}
	}
	if sent := srv.sent(); sent[0].Header.Get("X-Request-ID") != "" {
		t.Error("the main request must stay as configured, without the id")
	}
}

func TestRequestIDValidate(t *testing.T) {
	if _, err := loadErr("url: http://x\nmethod: POST\nrequest_id: {}\n"); err == nil || !strings.Contains(err.Error(), "request_id repeats the request, so method must be GET, HEAD or OPTIONS, not POST") {
		t.Errorf("POST with echo: %v", err)
	}
	if _, err := loadErr("url: http://x\nmethod: POST\nrequest_id: {generated: true}\n"); err != nil {
		t.Errorf("POST with generated sends nothing extra: %v", err)
	}
	if _, err := loadErr("url: http://x\nrequest_id: {header: 'X Bad'}\n"); err == nil {
		t.Error("bad header name accepted")
	}
}
