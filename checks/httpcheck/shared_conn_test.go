package httpcheck

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/report"
	"github.com/readyctl/readyctl/internal/runner"
)

// connServer is a loopback server that records, per connection, the
// requests it carried: how many connections were opened, and what each
// one saw.
type connServer struct {
	*httptest.Server
	mu     sync.Mutex
	conns  int                            // connections accepted
	byConn map[string][]*http.Request     // remote address -> requests, in order
	order  []string                       // remote address of each request, in order
	auth   map[string]map[string]struct{} // remote address -> Authorization values seen ("" = none)
}

func newConnServer(t *testing.T, h http.HandlerFunc) *connServer {
	return newConnServerIdle(t, 0, h)
}

// newConnServerIdle is newConnServer closing connections idle for idle
// (0: never).
func newConnServerIdle(t *testing.T, idle time.Duration, h http.HandlerFunc) *connServer {
	t.Helper()
	s := &connServer{byConn: map[string][]*http.Request{}, auth: map[string]map[string]struct{}{}}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.byConn[r.RemoteAddr] = append(s.byConn[r.RemoteAddr], r)
		s.order = append(s.order, r.RemoteAddr)
		if s.auth[r.RemoteAddr] == nil {
			s.auth[r.RemoteAddr] = map[string]struct{}{}
		}
		s.auth[r.RemoteAddr][r.Header.Get("Authorization")] = struct{}{}
		s.mu.Unlock()
		if h != nil {
			h(w, r)
		}
	}))
	s.Config.IdleTimeout = idle
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.mu.Lock()
			s.conns++
			s.mu.Unlock()
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func (s *connServer) opened() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

// checkItems runs a checklist of the given item blocks (YAML flow maps,
// one per item) through the real loader and runner.
func checkItems(t *testing.T, concurrency int, blocks ...string) *report.Report {
	t.Helper()
	var sb strings.Builder
	sb.WriteString("version: 1\nname: shared\nsections:\n  - id: s\n    items:\n")
	for i, b := range blocks {
		fmt.Fprintf(&sb, "      - id: item-%d\n%s\n", i, b)
	}
	cl, err := checklist.Parse("shared.yaml", []byte(sb.String()), checklist.Options{})
	if err != nil {
		t.Fatalf("%v\n%s", err, sb.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return runner.Run(ctx, cl, runner.Options{Concurrency: concurrency})
}

func repeat(n int, block string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = block
	}
	return out
}

func reusedCount(t *testing.T, rep *report.Report) int {
	t.Helper()
	n := 0
	for _, it := range rep.Items {
		v, ok := it.Observations["connection_reused"].(bool)
		if !ok {
			t.Fatalf("item %s: connection_reused is %#v", it.ID, it.Observations["connection_reused"])
		}
		if v {
			n++
		}
	}
	return n
}

func wantReady(t *testing.T, rep *report.Report) {
	t.Helper()
	for _, it := range rep.Items {
		if it.Status != report.Pass {
			t.Errorf("item %s: %s %s: %s", it.ID, it.Status, it.Reason, it.Message)
		}
	}
	if rep.Verdict != report.Ready {
		t.Fatalf("verdict %s", rep.Verdict)
	}
}

// Items of one round share connections: 40 GET items at concurrency 4
// open a handful, not 40, and say which requests found one open.
func TestItemsOfARoundShareConnections(t *testing.T) {
	s := newConnServer(t, nil)
	rep := checkItems(t, 4, repeat(40, "        http: {url: '"+s.URL+"/health'}")...)
	wantReady(t, rep)
	if n := s.opened(); n > 12 {
		t.Errorf("40 items at concurrency 4 opened %d connections, want a few (shared)", n)
	}
	if r := reusedCount(t, rep); r < 20 {
		t.Errorf("connection_reused true for %d of 40 items, want most", r)
	}
}

// A server that stops accepting connections fails the next round, even
// though connections from the round before are still open and served: no
// connection outlives its round (what serve and deploy's checks rely on).
func TestNoConnectionOutlivesItsRound(t *testing.T) {
	s := newConnServer(t, nil)
	items := repeat(10, "        http: {url: '"+s.URL+"/health'}")
	wantReady(t, checkItems(t, 2, items...))
	// Stop accepting; the server goroutines of open connections go on.
	s.Listener.Close()
	rep := checkItems(t, 2, items...)
	if rep.Verdict == report.Ready {
		t.Fatal("a server that accepts no connection was judged ready: an earlier round's connection was reused")
	}
	for _, it := range rep.Items {
		if it.Status == report.Pass {
			t.Errorf("item %s passed over a connection of an earlier round", it.ID)
		}
	}
}

// A retry goes over a connection of its own: its failed attempt's
// connection, still open, is not asked again.
func TestRetryDialsItsOwnConnection(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	s := newConnServer(t, func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		calls++
		first := calls == 1
		mu.Unlock()
		if first {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	rep := checkItems(t, 1, "        retries: 1\n        retry_delay: 1ms\n        http: {url: '"+s.URL+"/health'}")
	wantReady(t, rep)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.order) != 2 {
		t.Fatalf("server saw %d requests, want 2 (the failed attempt and the retry)", len(s.order))
	}
	if s.order[0] == s.order[1] {
		t.Errorf("the retry went over the failed attempt's connection %s", s.order[0])
	}
	if reused := rep.Items[0].Observations["connection_reused"]; reused != false {
		t.Errorf("connection_reused of the retry = %v, want false", reused)
	}
}

// Only GET, HEAD and OPTIONS share (the transport re-sends them by
// itself when a kept connection was closed meanwhile); a POST, and an
// item with fresh_connection, dial their own.
func TestWritesAndFreshConnectionDialTheirOwn(t *testing.T) {
	s := newConnServer(t, nil)
	items := append(repeat(8, "        http: {url: '"+s.URL+"/write', method: POST, body: x}"),
		repeat(8, "        http: {url: '"+s.URL+"/fresh', fresh_connection: true}")...)
	rep := checkItems(t, 1, items...)
	wantReady(t, rep)
	if r := reusedCount(t, rep); r != 0 {
		t.Errorf("connection_reused true for %d items, want none", r)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for addr, reqs := range s.byConn {
		if len(reqs) > 1 {
			t.Errorf("connection %s carried %d requests (%s %s first), want one each", addr, len(reqs), reqs[0].Method, reqs[0].URL.Path)
		}
	}
}

// Items with different credentials never share a connection (a server
// may tie authentication to the connection), and neither do an item's
// blocks, whose requests drop the credentials on purpose.
func TestCredentialsNeverShareAConnection(t *testing.T) {
	s := newConnServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/private" && r.Header.Get("Authorization") != "Bearer token-a" {
			w.WriteHeader(http.StatusUnauthorized)
		}
	})
	var items []string
	for i := range 24 {
		switch i % 3 {
		case 0:
			items = append(items, "        http: {url: '"+s.URL+"/a', bearer_token: token-a}")
		case 1:
			items = append(items, "        http: {url: '"+s.URL+"/b', bearer_token: token-b}")
		default:
			items = append(items, "        http: {url: '"+s.URL+"/private', bearer_token: token-a, auth_required: true}")
		}
	}
	rep := checkItems(t, 3, items...)
	wantReady(t, rep)
	if r := reusedCount(t, rep); r == 0 {
		t.Error("no item shared a connection: items with the same credentials should")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for addr, seen := range s.auth {
		if len(seen) > 1 {
			var vals []string
			for v := range seen {
				vals = append(vals, fmt.Sprintf("%q", v))
			}
			t.Errorf("connection %s carried requests with different credentials: %s", addr, strings.Join(vals, ", "))
		}
	}
}

// A server that closes idle connections quickly races with the next item
// taking one: the request is re-sent on a new connection, never failed.
func TestServerClosingKeptConnectionsFailsNothing(t *testing.T) {
	s := newConnServerIdle(t, time.Millisecond, nil)
	rep := checkItems(t, 2, repeat(60, "        http: {url: '"+s.URL+"/health'}")...)
	wantReady(t, rep)
}
