package httpcheck

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

var jwtKey = []byte("test-signing-key")

func signHS256(claims string) string {
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString([]byte(claims))
	mac := hmac.New(sha256.New, jwtKey)
	mac.Write([]byte(signing))
	return signing + "." + enc.EncodeToString(mac.Sum(nil))
}

// verifyJWT is what a service does with a bearer token. trustAlgNone
// reproduces the classic bug of believing the token's own alg header.
func verifyJWT(r *http.Request, trustAlgNone bool) (sub string, ok bool) {
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "Bearer ") {
		return "", false
	}
	parts := strings.Split(strings.TrimPrefix(auth, "Bearer "), ".")
	if len(parts) != 3 {
		return "", false
	}
	enc := base64.RawURLEncoding
	var header struct{ Alg string }
	var claims struct{ Sub string }
	hb, err1 := enc.DecodeString(parts[0])
	cb, err2 := enc.DecodeString(parts[1])
	if err1 != nil || err2 != nil || json.Unmarshal(hb, &header) != nil || json.Unmarshal(cb, &claims) != nil {
		return "", false
	}
	switch {
	case header.Alg == "none" && trustAlgNone:
		return claims.Sub, true
	case header.Alg == "HS256":
		mac := hmac.New(sha256.New, jwtKey)
		mac.Write([]byte(parts[0] + "." + parts[1]))
		sig, err := enc.DecodeString(parts[2])
		return claims.Sub, err == nil && hmac.Equal(sig, mac.Sum(nil))
	}
	return "", false
}

func jwtService(trustAlgNone bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if sub, ok := verifyJWT(r, trustAlgNone); ok && sub == "alice" {
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
		w.WriteHeader(http.StatusUnauthorized)
	}
}

func TestAuthRequired(t *testing.T) {
	token := signHS256(`{"sub":"alice","role":"admin"}`)
	tests := []struct {
		name    string
		handler http.HandlerFunc
		cfg     string
		fails   []string
		www     bool
	}{
		{name: "jwt verified", handler: jwtService(false), cfg: "bearer_token: " + token, www: true},
		{name: "alg none accepted with the same claims", handler: jwtService(true), cfg: "bearer_token: " + token,
			fails: []string{"auth_required: the request with an unsigned alg:none JWT was not refused: status 200 (want 401 or 403)"}},
		{name: "alg none token in an Authorization header", handler: jwtService(true), cfg: "headers: {Authorization: Bearer " + token + "}",
			fails: []string{"unsigned alg:none JWT was not refused: status 200"}},
		{name: "open endpoint", handler: func(http.ResponseWriter, *http.Request) {}, cfg: "bearer_token: " + token,
			fails: []string{
				"auth_required: the request without credentials was not refused: status 200 (want 401 or 403)",
				"auth_required: the request with a malformed bearer token was not refused: status 200 (want 401 or 403)",
				"auth_required: the request with an unsigned alg:none JWT was not refused: status 200 (want 401 or 403)",
			}},
		{name: "any bearer accepted", cfg: "bearer_token: whatever", handler: func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") == "" {
				w.WriteHeader(http.StatusUnauthorized)
			}
		}, fails: []string{"malformed bearer token was not refused: status 200", "alg:none JWT was not refused: status 200"}},
		{name: "403 refuses", handler: func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer good" {
				w.WriteHeader(http.StatusForbidden)
			}
		}, cfg: "bearer_token: good", www: true},
		{name: "401 without WWW-Authenticate passes, observed", handler: func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer good" {
				w.WriteHeader(http.StatusUnauthorized)
			}
		}, cfg: "bearer_token: good", www: false},
		{name: "redirect to login is not a refusal", handler: func(w http.ResponseWriter, r *http.Request) {
			if c, err := r.Cookie("session"); err != nil || c.Value != "ok" {
				http.Redirect(w, r, "/login", http.StatusFound)
			}
		}, cfg: "headers: {Cookie: session=ok}",
			fails: []string{`auth_required: the request without credentials was not refused: status 302 redirecting to "/login" (want 401 or 403)`}},
		{name: "api key in header and query stripped", handler: func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-API-Key") == "k1" || r.URL.Query().Get("api_key") == "k2" || r.Header.Get("X-Auth-Token") == "k3" {
				return
			}
			w.Header().Set("WWW-Authenticate", "ApiKey")
			w.WriteHeader(http.StatusUnauthorized)
		}, cfg: "headers: {X-API-Key: k1, X-Auth-Token: k3, Accept: application/json}", www: true},
		{name: "basic auth stripped", handler: func(w http.ResponseWriter, r *http.Request) {
			if u, p, ok := r.BasicAuth(); !ok || u != "ops" || p != "pw" {
				w.Header().Set("WWW-Authenticate", `Basic realm="x"`)
				w.WriteHeader(http.StatusUnauthorized)
			}
		}, cfg: "basic_auth: {username: ops, password: pw}", www: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, tt.handler)
			obs, err := run(t, load(t, "url: "+srv.URL+"/v1/me?api_key=k2&page=1\nauth_required: true\n"+tt.cfg+"\n"))
			if n := srv.count(); n != 4 {
				t.Errorf("%d requests, want the main one and 3 attempts", n)
			}
			for i, r := range srv.sent()[1:] {
				if r.Header.Get("Cookie") != "" || r.Header.Get("X-API-Key") != "" || r.Header.Get("X-Auth-Token") != "" || r.URL.Query().Get("api_key") != "" {
					t.Errorf("attempt %d carried a credential: %v %v", i, r.URL, r.Header)
				}
				if r.URL.Query().Get("page") != "1" {
					t.Errorf("attempt %d lost a plain query parameter: %v", i, r.URL)
				}
				if _, _, ok := r.BasicAuth(); ok {
					t.Errorf("attempt %d carried basic auth", i)
				}
			}
			if auth := srv.sent()[1].Header.Get("Authorization"); auth != "" {
				t.Errorf("the no-credentials attempt sent Authorization %q", auth)
			}
			if len(tt.fails) > 0 {
				msg := wantFail(t, err, tt.fails...)
				if strings.Contains(msg, token) || strings.Contains(msg, "k1") {
					t.Errorf("message leaks a credential: %s", msg)
				}
				return
			}
			wantPass(t, err)
			if got := sub(t, obs, "auth_required", "www_authenticate"); got != tt.www {
				t.Errorf("www_authenticate = %v, want %v", got, tt.www)
			}
			if sub(t, obs, "auth_required", "no_credentials", "refused") != true {
				t.Errorf("observation = %v", obs["auth_required"])
			}
		})
	}
}

func TestAlgNoneJWT(t *testing.T) {
	token := signHS256(`{"sub":"alice"}`)
	p := load(t, "url: http://x\nbearer_token: "+token+"\n")
	forged := algNoneJWT(p.bearerJWT())
	parts := strings.Split(forged, ".")
	if len(parts) != 3 || parts[2] != "" || parts[1] != strings.Split(token, ".")[1] {
		t.Fatalf("forged %q does not carry the claims unsigned", forged)
	}
	h, _ := base64.RawURLEncoding.DecodeString(parts[0])
	if string(h) != `{"alg":"none","typ":"JWT"}` {
		t.Errorf("header %s", h)
	}
	// Not a JWT: a neutral unsigned token.
	p = load(t, "url: http://x\nbearer_token: opaque-token\n")
	if p.bearerJWT() != "" {
		t.Error("opaque token taken for a JWT")
	}
	c, _ := base64.RawURLEncoding.DecodeString(strings.Split(algNoneJWT(""), ".")[1])
	if !strings.Contains(string(c), `"sub":"readyctl-probe"`) {
		t.Errorf("neutral claims = %s", c)
	}
}

func TestAuthRequiredValidate(t *testing.T) {
	if _, err := loadErr("url: http://x\nmethod: POST\nauth_required: true\n"); err == nil || !strings.Contains(err.Error(), "auth_required repeats the request, so method must be GET, HEAD or OPTIONS, not POST") {
		t.Errorf("POST: %v", err)
	}
}
