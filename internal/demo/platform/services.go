package platform

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The stand-ins for the seed's services: small, honest HTTP servers that
// behave the way the checklist expects a healthy service to behave, and
// misbehave the way a fault says.

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (p *Platform) health(service string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "service": service, "version": Release})
	}
}

// serve starts h on a free loopback port (TLS when cfg is set) and returns
// its address; it is shut down by Close.
func (p *Platform) serve(name string, h http.Handler, cfg *tls.Config) (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	if cfg != nil {
		l = tls.NewListener(l, cfg)
	}
	// The TLS probes' refused handshakes (old versions, weak suites) are
	// the front doing its job, not news for the demo's stderr.
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = srv.Serve(l) }()
	p.cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return l.Addr().String(), nil
}

func (p *Platform) authMux() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("GET /health", p.health("auth"))
	m.HandleFunc("GET /v1/auth/health", p.health("auth"))
	var mu sync.Mutex
	users := map[string]string{}
	m.HandleFunc("POST /v1/auth/register", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Email, Password string }
		bad := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&in) != nil || in.Email == ""
		// With the failing-tests fault, the length rule is lost: the
		// integration suite catches it, no probe does.
		if bad || (len(in.Password) < 8 && p.fault != "failing-tests") {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "email and a password of 8+ characters required"})
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if _, dup := users[in.Email]; dup {
			writeJSON(w, http.StatusConflict, map[string]any{"error": "already registered"})
			return
		}
		users[in.Email] = in.Password
		writeJSON(w, http.StatusCreated, map[string]any{"email": in.Email})
	})
	m.HandleFunc("POST /v1/auth/login", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Email, Password string }
		_ = json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&in)
		mu.Lock()
		pw, ok := users[in.Email]
		mu.Unlock()
		if !ok || pw != in.Password {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "bad credentials"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"token": signJWT(p.jwtKey, in.Email, time.Hour, time.Now()), "token_type": "Bearer"})
	})
	m.HandleFunc("GET /v1/auth/me", func(w http.ResponseWriter, r *http.Request) {
		sub, ok := p.authorize(w, r)
		if ok {
			writeJSON(w, http.StatusOK, map[string]any{"email": sub})
		}
	})
	return m
}

// authorize refuses a request without a valid token; with the auth-bypass
// fault any bearer token passes, the bug the checklist must catch.
func (p *Platform) authorize(w http.ResponseWriter, r *http.Request) (string, bool) {
	tok, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if found && p.fault == "auth-bypass" {
		return "anyone", true
	}
	sub, err := verifyJWT(p.jwtKey, strings.TrimSpace(tok), time.Now())
	if !found || err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "unauthorized"})
		return "", false
	}
	return sub, true
}

func search(w http.ResponseWriter, r *http.Request) {
	// Parameters are bound, never echoed: nothing to inject into.
	writeJSON(w, http.StatusOK, map[string]any{"results": []any{}, "count": 0})
}

func (p *Platform) coreMux() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("GET /health", p.health("core"))
	m.HandleFunc("GET /v1/credits/balance", func(w http.ResponseWriter, r *http.Request) {
		if sub, ok := p.authorize(w, r); ok {
			writeJSON(w, http.StatusOK, map[string]any{"user": sub, "balance": 100})
		}
	})
	m.HandleFunc("GET /v1/search", search)
	return m
}

func (p *Platform) mcpMux() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("GET /health", p.health("mcp"))
	m.HandleFunc("GET /v1/models", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": []any{
			map[string]any{"id": "demo-small", "object": "model"}, map[string]any{"id": "demo-large", "object": "model"}}})
	})
	m.Handle("/mcp", mcpHandler())
	return m
}

// mcpHandler is the MCP server itself over Streamable HTTP: one read-only
// tool, the model listing.
func mcpHandler() http.Handler {
	s := mcp.NewServer(&mcp.Implementation{Name: "demo-mcp", Version: Release}, nil)
	type listArgs struct {
		Limit int `json:"limit,omitempty" jsonschema:"most models to list"`
	}
	mcp.AddTool(s, &mcp.Tool{Name: "list_models", Description: "list the models this server serves", Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true}},
		func(_ context.Context, _ *mcp.CallToolRequest, in listArgs) (*mcp.CallToolResult, any, error) {
			models := []string{"demo-small", "demo-large"}
			if in.Limit > 0 && in.Limit < len(models) {
				models = models[:in.Limit]
			}
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: strings.Join(models, "\n")}}}, nil, nil
		})
	return mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, nil)
}

func (p *Platform) analyticsMux() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("GET /health", p.health("analytics"))
	m.HandleFunc("GET /v1/usage", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"events": 1234})
	})
	return m
}

func (p *Platform) grafanaMux() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("GET /api/health", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"commit": "demo", "database": "ok", "version": "10.4.0"})
	})
	return m
}

// bucket is a token bucket: a burst of capacity, then rate per second.
type bucket struct {
	mu       sync.Mutex
	tokens   float64
	last     time.Time
	capacity float64
	rate     float64
}

func (b *bucket) take(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.last.IsZero() {
		b.tokens = b.capacity
	} else {
		b.tokens = min(b.capacity, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// gatewayMux is the API gateway: request ids, rate limiting of /v1/,
// CORS for the app origin (with credentials), and an aggregate /health
// that is refreshed in the background, as real gateways cache it.
func (p *Platform) gatewayMux(backends map[string]string) http.Handler {
	var mu sync.Mutex
	status := map[string]any{}
	refresh := func() {
		client := &http.Client{Timeout: time.Second}
		next := map[string]any{}
		for name, base := range backends {
			st := "down"
			if resp, err := client.Get(base + "/health"); err == nil {
				if resp.StatusCode == http.StatusOK {
					st = "ok"
				}
				resp.Body.Close()
			}
			next[name] = st
		}
		mu.Lock()
		status = next
		mu.Unlock()
	}
	refresh()
	ctx, cancel := context.WithCancel(context.Background())
	p.cleanup(cancel)
	go func() {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				refresh()
			}
		}
	}()
	limiter := &bucket{capacity: 60, rate: 30}
	slow := func(r *http.Request) {
		if p.fault == "gateway-slow" {
			select {
			case <-time.After(1200 * time.Millisecond):
			case <-r.Context().Done():
			}
		}
	}
	m := http.NewServeMux()
	m.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		slow(r)
		mu.Lock()
		services := map[string]any{}
		overall := "ok"
		for k, v := range status {
			services[k] = v
			if v != "ok" {
				overall = "degraded"
			}
		}
		mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"status": overall, "version": Release, "services": services})
	})
	v1 := http.NewServeMux()
	v1.HandleFunc("GET /v1/health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "api_version": "v1"})
	})
	v1.HandleFunc("GET /v1/search", search)
	m.Handle("/v1/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if id == "" {
			id = newID()
		}
		w.Header().Set("X-Request-ID", id)
		w.Header().Set("API-Version", "v1")
		if origin := r.Header.Get("Origin"); origin == AppOrigin {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Set("Access-Control-Allow-Credentials", "true")
			w.Header().Set("Vary", "Origin")
		}
		if r.Method == http.MethodOptions {
			if r.Header.Get("Origin") == AppOrigin {
				w.Header().Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
				w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Request-ID")
			}
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if !limiter.take(time.Now()) {
			w.Header().Set("Retry-After", "1")
			w.Header().Set("RateLimit-Policy", "60;w=2")
			writeJSON(w, http.StatusTooManyRequests, map[string]any{"error": "rate limited"})
			return
		}
		v1.ServeHTTP(w, r)
	}))
	return m
}

func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x", b)
}

// frontMux is the nginx stand-in behind TLS: the public site with its
// security headers.
func (p *Platform) frontMux() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Server", "nginx")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		if p.fault != "missing-security-headers" {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
			h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
		}
		h.Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, "<!doctype html><title>demo</title><h1>readyctl demo platform</h1>\n")
	})
}

// redirectTo answers every plain-http request with a 301 to the https site.
func redirectTo(httpsBase string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Server", "nginx")
		http.Redirect(w, r, httpsBase+r.URL.RequestURI(), http.StatusMovedPermanently)
	})
}
