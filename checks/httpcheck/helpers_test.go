package httpcheck

import (
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/checklist"
)

// server is an httptest server that counts the requests it gets, in
// total and by method, and the most it had in flight at once.
type server struct {
	*httptest.Server
	mu        sync.Mutex
	total     int
	byMethod  map[string]int
	inFlight  int
	maxFlight int
	requests  []*http.Request // clones, for assertions on what was sent
	bodies    []string
}

func newCounting(t *testing.T, tls bool, h http.HandlerFunc) *server {
	t.Helper()
	s := &server{byMethod: map[string]int{}}
	wrapped := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		s.mu.Lock()
		s.bodies = append(s.bodies, string(body))
		s.total++
		s.byMethod[r.Method]++
		s.inFlight++
		if s.inFlight > s.maxFlight {
			s.maxFlight = s.inFlight
		}
		s.requests = append(s.requests, r.Clone(context.Background()))
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			s.inFlight--
			s.mu.Unlock()
		}()
		h(w, r)
	})
	if tls {
		s.Server = httptest.NewTLSServer(wrapped)
	} else {
		s.Server = httptest.NewServer(wrapped)
	}
	t.Cleanup(s.Close)
	return s
}

// newServer starts a plain-http counting server.
func newServer(t *testing.T, h http.HandlerFunc) *server { return newCounting(t, false, h) }

func (s *server) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

func (s *server) maxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxFlight
}

func (s *server) countMethod(m string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byMethod[m]
}

func (s *server) sentBodies() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.bodies...)
}

func (s *server) sent() []*http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*http.Request(nil), s.requests...)
}

// caFile writes the TLS server's certificate as a PEM file to trust.
func caFile(t *testing.T, s *server) string {
	t.Helper()
	var buf bytes.Buffer
	if err := pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// load decodes a probe block strictly, as the loader does, and validates it.
func load(t *testing.T, src string) *Probe {
	t.Helper()
	p, err := loadErr(src)
	if err != nil {
		t.Fatalf("config does not load: %v\n%s", err, src)
	}
	return p
}

func loadErr(src string) (*Probe, error) {
	p := New()
	if err := checklist.DecodeBlock(src, p); err != nil {
		return nil, err
	}
	return p, p.Validate()
}

// run runs the probe with a deadline, as the runner does.
func run(t *testing.T, p *Probe) (checks.Observations, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return p.Run(ctx)
}

// failMessage asserts err is a Failure and returns its message.
func failMessage(t *testing.T, err error) string {
	t.Helper()
	var f *checks.Failure
	if !errors.As(err, &f) {
		t.Fatalf("want a failure, got %v", err)
	}
	return f.Message
}

// wantFail asserts err is a Failure whose message contains every want.
func wantFail(t *testing.T, err error, wants ...string) string {
	t.Helper()
	msg := failMessage(t, err)
	for _, w := range wants {
		if !strings.Contains(msg, w) {
			t.Errorf("message %q does not contain %q", msg, w)
		}
	}
	return msg
}

// wantPass asserts err is nil.
func wantPass(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("want pass, got %v", err)
	}
}

// sub walks nested observation maps: sub(obs, "cors", "preflight").
func sub(t *testing.T, obs map[string]any, keys ...string) any {
	t.Helper()
	var cur any = obs
	for _, k := range keys {
		m, ok := cur.(map[string]any)
		if !ok {
			if o, isObs := cur.(checks.Observations); isObs {
				m = o
			} else {
				t.Fatalf("observation path %v: %T at %q is not a map", keys, cur, k)
			}
		}
		cur, ok = m[k]
		if !ok {
			t.Fatalf("observation path %v: no %q in %v", keys, k, m)
		}
	}
	return cur
}
