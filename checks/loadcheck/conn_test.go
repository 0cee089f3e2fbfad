package loadcheck

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// connServer is a loopback server that also counts the connections
// clients opened.
func connServer(t *testing.T, h http.HandlerFunc, configure func(*http.Server)) (url string, conns *atomic.Int64) {
	t.Helper()
	conns = new(atomic.Int64)
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	if configure != nil {
		configure(srv.Config)
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL, conns
}

func atMostOnePerWorker(n, workers int64) bool { return n >= 1 && n <= workers }

// The protocol cases the probe's own HTTP/1.1 connection handling must get
// right: each fails (errors, a hang, or a wrong connection count) if the
// case is mishandled.
func TestHTTPConnections(t *testing.T) {
	tests := []struct {
		name      string
		handler   http.HandlerFunc
		configure func(*http.Server)
		block     string
		// conns judges the connections the server saw. A worker dials on
		// its first request: with few fast requests one worker may take
		// them all before another starts, so "one per worker" is at most
		// that many; a mishandled case reconnects and goes over.
		conns  func(n int64) bool
		status string
	}{
		{
			name:    "keep-alive: at most one connection per worker",
			handler: func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") },
			block:   "connections: 4\nrequests: 400",
			conns:   func(n int64) bool { return atMostOnePerWorker(n, 4) },
			status:  "200",
		},
		{
			name: "server closes each connection",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Connection", "close")
				io.WriteString(w, "bye")
			},
			block:  "connections: 2\nrequests: 30",
			conns:  func(n int64) bool { return n == 30 },
			status: "200",
		},
		{
			name: "chunked body",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				for range 3 {
					io.WriteString(w, strings.Repeat("x", 5000))
					w.(http.Flusher).Flush()
				}
			},
			block:  "connections: 2\nrequests: 30",
			conns:  func(n int64) bool { return atMostOnePerWorker(n, 2) },
			status: "200",
		},
		{
			name: "large body",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				io.WriteString(w, strings.Repeat("y", 200<<10))
			},
			block:  "connections: 2\nrequests: 20",
			conns:  func(n int64) bool { return atMostOnePerWorker(n, 2) },
			status: "200",
		},
		{
			name: "HEAD has no body to read",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Length", "1000")
			},
			block:  "method: HEAD\nconnections: 2\nrequests: 20\ntimeout: 2s",
			conns:  func(n int64) bool { return atMostOnePerWorker(n, 2) },
			status: "200",
		},
		{
			name: "204 has no body",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusNoContent)
			},
			block:  "connections: 2\nrequests: 20\ntimeout: 2s",
			conns:  func(n int64) bool { return atMostOnePerWorker(n, 2) },
			status: "204",
		},
		{
			name: "interim 103 before the answer",
			handler: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Link", "</style.css>; rel=preload")
				w.WriteHeader(http.StatusEarlyHints)
				io.WriteString(w, "ok")
			},
			block:  "connections: 2\nrequests: 20",
			conns:  func(n int64) bool { return atMostOnePerWorker(n, 2) },
			status: "200",
		},
		{
			// The server drops idle connections after 50ms; the open
			// model's slots are 200ms apart, so every request after the
			// first finds its connection closed and is retried once on a
			// new one, as http.Transport would.
			name:      "idle connection closed by the server",
			handler:   func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") },
			configure: func(s *http.Server) { s.IdleTimeout = 50 * time.Millisecond },
			block:     "connections: 1\nrate: 5\nrequests: 4",
			conns:     func(n int64) bool { return n == 4 },
			status:    "200",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			url, conns := connServer(t, tt.handler, tt.configure)
			p := mustProbe(t, fmt.Sprintf("url: %s\n%s", url, tt.block))
			obs, err := runProbe(t, p, 10*time.Second)
			if err != nil {
				t.Fatalf("Run: %v; %v", err, obs)
			}
			if obs["errors"] != 0 {
				t.Errorf("errors = %v, kinds %v", obs["errors"], obs["error_kinds"])
			}
			sc := obs["status_counts"].(map[string]any)
			if len(sc) != 1 || sc[tt.status] != obs["requests"] {
				t.Errorf("status_counts = %v, want all %s", sc, tt.status)
			}
			if !tt.conns(conns.Load()) {
				t.Errorf("server saw %d connections", conns.Load())
			}
		})
	}
}

// A POST cannot be retried safely (the server may have processed it), so a
// connection the server closed while idle must be noticed before sending.
func TestIdleCloseBeforePOST(t *testing.T) {
	var n atomic.Int64
	url, conns := connServer(t, counting(&n), func(s *http.Server) { s.IdleTimeout = 50 * time.Millisecond })
	p := mustProbe(t, fmt.Sprintf("url: %s\nmethod: POST\nbody: x\nconnections: 1\nrate: 5\nrequests: 4", url))
	obs, err := runProbe(t, p, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if obs["errors"] != 0 || n.Load() != 4 || conns.Load() != 4 {
		t.Errorf("errors = %v (%v), server saw %d requests on %d connections: want 4 on 4", obs["errors"], obs["error_kinds"], n.Load(), conns.Load())
	}
}

func TestBasicAuthFromURL(t *testing.T) {
	var bad atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, pw, ok := r.BasicAuth(); !ok || u != "probe" || pw != "s3cret" {
			bad.Add(1)
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	t.Cleanup(srv.Close)
	url := strings.Replace(srv.URL, "http://", "http://probe:s3cret@", 1)
	p := mustProbe(t, fmt.Sprintf("url: %s\nconnections: 1\nrequests: 3\nok_status: 2xx", url))
	obs, err := runProbe(t, p, 10*time.Second)
	if err != nil || bad.Load() != 0 {
		t.Fatalf("err %v, %d requests without the URL's credentials; %v", err, bad.Load(), obs)
	}
	// The password never shows in a message.
	p = mustProbe(t, "url: http://probe:s3cret@127.0.0.1:1/\nconnections: 1\nrequests: 1")
	_, err = runProbe(t, p, 10*time.Second)
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "probe:xxxxx@") {
		t.Errorf("err = %v, want the URL redacted", err)
	}
}

// A server that answers the first request on each connection and closes
// the connection on the second without answering: what a client sees
// when a keep-alive connection is closed just as it sends. An idempotent
// request is retried once on a new connection, as http.Transport does.
func TestRetryOnReusedConnectionClosed(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var conns, requests atomic.Int64
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for i := 0; ; i++ {
					req, err := http.ReadRequest(br)
					if err != nil || i == 1 {
						return
					}
					requests.Add(1)
					io.Copy(io.Discard, req.Body)
					io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				}
			}()
		}
	}()
	url := "http://" + l.Addr().String() + "/"
	for _, tt := range []struct {
		method string
		errors int
	}{{"GET", 0}, {"POST", 1}} {
		conns.Store(0)
		requests.Store(0)
		p := mustProbe(t, fmt.Sprintf("url: %s\nmethod: %s\nconnections: 1\nrequests: 3\nthresholds: [\"errors <= 3\"]", url, tt.method))
		obs, err := runProbe(t, p, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if obs["errors"] != tt.errors {
			t.Errorf("%s: errors = %v (%v), want %d; server answered %d on %d connections",
				tt.method, obs["errors"], obs["error_kinds"], tt.errors, requests.Load(), conns.Load())
		}
	}
}
