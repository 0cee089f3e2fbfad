package platform

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/csv"
	"encoding/json"
	"errors"
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
	m.HandleFunc("POST /v1/auth/register", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Email, Password string }
		bad := decodeBody(r, &in) != nil || !strings.Contains(in.Email, "@") || len(in.Email) > 254 || len(in.Password) > 1024
		// With the failing-tests fault, the length rule is lost: the
		// integration suite catches it, no probe does.
		if bad || (len(in.Password) < 8 && p.fault != "failing-tests") {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "an email and a password of 8+ characters required"})
			return
		}
		u, err := p.store.register(in.Email, in.Password)
		switch {
		case errors.Is(err, errDuplicate):
			writeJSON(w, http.StatusConflict, map[string]any{"error": err.Error()})
		case err != nil:
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"error": err.Error()})
		default:
			writeJSON(w, http.StatusCreated, map[string]any{"id": u.id, "email": u.email})
		}
	})
	m.HandleFunc("POST /v1/auth/login", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Email, Password string }
		if decodeBody(r, &in) != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "a JSON body {email, password} required"})
			return
		}
		u, ok := p.store.login(in.Email, in.Password)
		if !ok {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "bad credentials"})
			return
		}
		token := signJWT(p.jwtKey, u.id, time.Hour, time.Now())
		http.SetCookie(w, &http.Cookie{Name: "session", Value: token, Path: "/", MaxAge: 3600,
			HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
		writeJSON(w, http.StatusOK, map[string]any{"token": token, "token_type": "Bearer"})
	})
	m.HandleFunc("GET /v1/auth/me", func(w http.ResponseWriter, r *http.Request) {
		sub, ok := p.authorize(w, r)
		if !ok {
			return
		}
		u, known := p.store.user(sub)
		switch {
		case known:
			writeJSON(w, http.StatusOK, map[string]any{"id": u.id, "email": u.email})
		case p.fault == "auth-bypass":
			writeJSON(w, http.StatusOK, map[string]any{"id": sub, "email": sub})
		default:
			// A valid token of a user deleted since.
			w.Header().Set("WWW-Authenticate", `Bearer realm="api", error="invalid_token"`)
			writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "unknown user"})
		}
	})
	m.HandleFunc("DELETE /v1/auth/users/{id}", func(w http.ResponseWriter, r *http.Request) {
		sub, ok := p.authorize(w, r)
		if !ok {
			return
		}
		id := r.PathValue("id")
		if _, known := p.store.user(id); !known {
			writeJSON(w, http.StatusNotFound, map[string]any{"error": "no such user"})
			return
		}
		if !p.owns(sub, id) {
			writeJSON(w, http.StatusForbidden, map[string]any{"error": "you may delete only yourself"})
			return
		}
		p.store.remove(id)
		w.WriteHeader(http.StatusNoContent)
	})
	return m
}

// authorize refuses a request without a valid token and returns the
// token's subject, the user id; with the auth-bypass fault any bearer
// token passes (as "anyone" when it is not valid), the bug the checklist
// must catch.
func (p *Platform) authorize(w http.ResponseWriter, r *http.Request) (string, bool) {
	tok, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	sub, err := verifyJWT(p.jwtKey, strings.TrimSpace(tok), time.Now())
	if found && p.fault == "auth-bypass" {
		if err != nil {
			sub = "anyone"
		}
		return sub, true
	}
	if !found || err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "unauthorized"})
		return "", false
	}
	return sub, true
}

// owns reports whether the user sub may act on user id's data; with the
// auth-bypass fault everyone may, so cross-user reads and deletes succeed.
func (p *Platform) owns(sub, id string) bool {
	return sub == id || p.fault == "auth-bypass"
}

func search(w http.ResponseWriter, r *http.Request) {
	// Parameters are bound, never echoed: nothing to inject into.
	writeJSON(w, http.StatusOK, map[string]any{"results": []any{}, "count": 0})
}

func (p *Platform) coreMux() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("GET /health", p.health("core"))
	account := func(w http.ResponseWriter, id string, balance int, err error) {
		switch {
		case errors.Is(err, errInsufficient):
			writeJSON(w, http.StatusPaymentRequired, map[string]any{"error": err.Error(), "user_id": id, "balance": balance})
		case err != nil:
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"error": err.Error()})
		default:
			writeJSON(w, http.StatusOK, map[string]any{"user_id": id, "balance": balance})
		}
	}
	m.HandleFunc("GET /v1/credits/balance", func(w http.ResponseWriter, r *http.Request) {
		if sub, ok := p.authorize(w, r); ok {
			b, err := p.store.balance(sub)
			account(w, sub, b, err)
		}
	})
	change := func(sign int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			sub, ok := p.authorize(w, r)
			if !ok {
				return
			}
			var in struct {
				Amount int `json:"amount"`
			}
			if decodeBody(r, &in) != nil || in.Amount <= 0 || in.Amount > maxAmount {
				writeJSON(w, http.StatusBadRequest, map[string]any{"error": fmt.Sprintf("amount: a whole number from 1 to %d required", maxAmount)})
				return
			}
			b, err := p.store.add(sub, sign*in.Amount)
			account(w, sub, b, err)
		}
	}
	m.HandleFunc("POST /v1/credits/topup", change(+1))
	m.HandleFunc("POST /v1/credits/deduct", change(-1))
	m.HandleFunc("GET /v1/accounts/{id}", func(w http.ResponseWriter, r *http.Request) {
		sub, ok := p.authorize(w, r)
		if !ok {
			return
		}
		id := r.PathValue("id")
		if !p.owns(sub, id) {
			writeJSON(w, http.StatusForbidden, map[string]any{"error": "not your account"})
			return
		}
		b, known := p.store.existing(id)
		if !known {
			writeJSON(w, http.StatusNotFound, map[string]any{"error": "no such account"})
			return
		}
		account(w, id, b, nil)
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
	m.HandleFunc("POST /v1/chat/completions", p.completions)
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
	// The count starts where a platform in service would be, not at 0.
	const history = 1234
	m.HandleFunc("GET /v1/usage", func(w http.ResponseWriter, _ *http.Request) {
		_, n := p.store.recent()
		writeJSON(w, http.StatusOK, map[string]any{"events": history + n})
	})
	m.HandleFunc("POST /v1/events", func(w http.ResponseWriter, r *http.Request) {
		if _, ok := p.authorize(w, r); !ok {
			return
		}
		var in struct {
			Type   string `json:"type"`
			UserID string `json:"user_id"`
		}
		if decodeBody(r, &in) != nil || in.Type == "" || len(in.Type) > 64 || len(in.UserID) > 128 {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "type (1 to 64 characters) and user_id required"})
			return
		}
		p.store.record(event{at: time.Now().UTC(), typ: in.Type, userID: in.UserID})
		writeJSON(w, http.StatusAccepted, map[string]any{"accepted": 1})
	})
	m.HandleFunc("GET /v1/export", func(w http.ResponseWriter, r *http.Request) {
		if _, ok := p.authorize(w, r); !ok {
			return
		}
		if f := r.URL.Query().Get("format"); f != "" && f != "csv" {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "format: csv is the one supported"})
			return
		}
		events, _ := p.store.recent()
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="events.csv"`)
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"time", "type", "user_id"})
		for _, e := range events {
			_ = cw.Write([]string{e.at.Format(time.RFC3339), e.typ, e.userID})
		}
		cw.Flush()
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
	v1.Handle("POST /v1/chat/completions", p.proxy(backends["mcp"]))
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
