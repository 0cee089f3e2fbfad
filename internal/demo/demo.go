// Package demo runs a few loopback HTTP services that behave like the
// seed's platform (auth, core, MCP, analytics, gateway), so `readyctl demo`
// shows a real run with no set-up. It listens on 127.0.0.1 only.
package demo

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Checklist is the demo checklist; its ${vars} are the services' URLs.
//
//go:embed checklist.yaml
var Checklist []byte

// Services are the running demo services.
type Services struct {
	// Vars maps the checklist's variables to the services' addresses.
	Vars    map[string]string
	servers []*http.Server
}

// Start starts every demo service on a free loopback port.
func Start() (*Services, error) {
	s := &Services{Vars: map[string]string{}}
	ok := func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
	}
	services := []struct {
		name string
		mux  func(*http.ServeMux)
	}{
		{"auth", func(m *http.ServeMux) { m.HandleFunc("/health", ok) }},
		{"core", func(m *http.ServeMux) {
			m.HandleFunc("/health", ok)
			m.HandleFunc("/v1/credits/balance", func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") == "" {
					w.Header().Set("WWW-Authenticate", `Bearer realm="core"`)
					writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "unauthorized"})
					return
				}
				writeJSON(w, http.StatusOK, map[string]any{"balance": 100})
			})
		}},
		{"mcp", func(m *http.ServeMux) {
			m.HandleFunc("/health", ok)
			m.HandleFunc("/v1/models", func(w http.ResponseWriter, _ *http.Request) {
				writeJSON(w, http.StatusOK, map[string]any{"data": []any{map[string]any{"id": "small"}, map[string]any{"id": "large"}}})
			})
		}},
		{"analytics", func(m *http.ServeMux) {
			m.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
				// A slow dependency: passes, with a latency worth looking at.
				select {
				case <-time.After(120 * time.Millisecond):
				case <-r.Context().Done():
				}
				ok(w, r)
			})
		}},
		{"gateway", func(m *http.ServeMux) {
			m.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Request-ID", r.Header.Get("X-Request-ID"))
				w.Header().Set("API-Version", "v1")
				ok(w, r)
			})
			m.HandleFunc("/legacy/status", func(w http.ResponseWriter, _ *http.Request) {
				writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "degraded"})
			})
		}},
	}
	for _, svc := range services {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			s.Stop(context.Background())
			return nil, fmt.Errorf("demo service %s: %w", svc.name, err)
		}
		mux := http.NewServeMux()
		svc.mux(mux)
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(l) //nolint:errcheck // returns on Shutdown
		s.servers = append(s.servers, srv)
		s.Vars[svc.name] = "http://" + l.Addr().String()
		s.Vars[svc.name+"_addr"] = l.Addr().String()
	}
	return s, nil
}

// Stop shuts every service down.
func (s *Services) Stop(ctx context.Context) {
	for _, srv := range s.servers {
		_ = srv.Shutdown(ctx)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
