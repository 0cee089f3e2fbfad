// Package flowtest is a small in-memory auth and accounts service that
// speaks the reference platform's contract (register, login with a JWT
// and a session cookie, me, delete, accounts), for tests and benchmarks
// of flows. It is never part of the readyctl binary's behaviour.
package flowtest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
)

// Service is the state of one test server.
type Service struct {
	mu     sync.Mutex
	users  map[string]user   // by id
	emails map[string]string // email -> id
	tokens map[string]string // token -> id
	// Deleted counts successful deletions (cleanup tests read it).
	Deleted int
	// Tokens are every token issued, Cookies every session cookie value.
	Tokens, Cookies []string
	// FailLogin makes login answer 500; AuthBypass accepts any bearer
	// token as the first user's (a broken authorization layer).
	FailLogin, AuthBypass bool
}

type user struct{ id, email, password string }

// New returns an empty service.
func New() *Service {
	return &Service{users: map[string]user{}, emails: map[string]string{}, tokens: map[string]string{}}
}

func random(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func uuid() string {
	h := random(16)
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:]
}

func jwt(sub string) string {
	enc := base64.RawURLEncoding.EncodeToString
	head := enc([]byte(`{"alg":"HS256","typ":"JWT"}`))
	body := enc([]byte(`{"sub":"` + sub + `","jti":"` + random(8) + `"}`))
	return head + "." + body + "." + enc([]byte(random(16)))
}

func write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}

func (s *Service) caller(r *http.Request) (user, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return user{}, false
	}
	if id, ok := s.tokens[tok]; ok {
		return s.users[id], true
	}
	if s.AuthBypass && tok != "" {
		for _, u := range s.users {
			return u, true
		}
	}
	return user{}, false
}

// ServeHTTP answers the contract's endpoints.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var in struct{ Email, Password string }
	if r.Body != nil {
		_ = json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&in)
	}
	path := r.URL.Path
	switch {
	case r.Method == http.MethodPost && path == "/v1/auth/register":
		if in.Email == "" || in.Password == "" {
			write(w, 400, map[string]any{"error": "email and password required"})
			return
		}
		if _, dup := s.emails[in.Email]; dup {
			write(w, 409, map[string]any{"error": "duplicate"})
			return
		}
		u := user{uuid(), in.Email, in.Password}
		s.users[u.id], s.emails[u.email] = u, u.id
		write(w, 201, map[string]any{"id": u.id, "email": u.email})
	case r.Method == http.MethodPost && path == "/v1/auth/login":
		if s.FailLogin {
			write(w, 500, map[string]any{"error": "login is broken"})
			return
		}
		id, ok := s.emails[in.Email]
		if !ok || s.users[id].password != in.Password {
			write(w, 401, map[string]any{"error": "bad credentials"})
			return
		}
		tok, sess := jwt(id), random(24)
		s.tokens[tok] = id
		s.Tokens, s.Cookies = append(s.Tokens, tok), append(s.Cookies, sess)
		http.SetCookie(w, &http.Cookie{Name: "session", Value: sess, Path: "/", HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode})
		write(w, 200, map[string]any{"token": tok, "token_type": "Bearer"})
	case r.Method == http.MethodGet && path == "/v1/auth/me":
		u, ok := s.caller(r)
		if !ok {
			write(w, 401, map[string]any{"error": "unauthorized"})
			return
		}
		write(w, 200, map[string]any{"id": u.id, "email": u.email})
	case r.Method == http.MethodDelete && strings.HasPrefix(path, "/v1/auth/users/"):
		u, ok := s.caller(r)
		if !ok {
			write(w, 401, map[string]any{"error": "unauthorized"})
			return
		}
		id := strings.TrimPrefix(path, "/v1/auth/users/")
		target, found := s.users[id]
		switch {
		case !found:
			write(w, 404, map[string]any{"error": "no such user"})
		case target.id != u.id && !s.AuthBypass:
			write(w, 403, map[string]any{"error": "forbidden"})
		default:
			delete(s.users, id)
			delete(s.emails, target.email)
			s.Deleted++
			write(w, 204, nil)
		}
	case r.Method == http.MethodGet && strings.HasPrefix(path, "/v1/accounts/"):
		u, ok := s.caller(r)
		if !ok {
			write(w, 401, map[string]any{"error": "unauthorized"})
			return
		}
		id := strings.TrimPrefix(path, "/v1/accounts/")
		if _, found := s.users[id]; !found {
			write(w, 404, map[string]any{"error": "no such account"})
			return
		}
		if id != u.id && !s.AuthBypass {
			write(w, 403, map[string]any{"error": "forbidden"})
			return
		}
		write(w, 200, map[string]any{"user_id": id, "balance": 100})
	case path == "/echo":
		// Echoes what a client sent, credentials included, as a
		// careless service would: output must still not show them.
		w.Header().Set("X-Echo", r.Header.Get("Authorization"))
		write(w, 200, map[string]any{"path": r.URL.Path, "query": r.URL.RawQuery, "x": r.Header.Get("X-Value"),
			"auth": r.Header.Get("Authorization"), "cookie": r.Header.Get("Cookie")})
	default:
		write(w, 404, map[string]any{"error": "not found"})
	}
}

// Snapshot is what the service has done so far, read under its lock.
func (s *Service) Snapshot() (deleted int, tokens, cookies []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Deleted, append([]string(nil), s.Tokens...), append([]string(nil), s.Cookies...)
}

// Users is the number of users that exist.
func (s *Service) Users() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.users)
}
