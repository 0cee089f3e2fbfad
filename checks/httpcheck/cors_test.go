package httpcheck

import (
	"net/http"
	"strings"
	"testing"
)

const appOrigin = "https://app.example.com"

// corsPolicy answers preflights the way a server configuration would.
type corsPolicy func(h http.Header, origin string)

var (
	// allowApp allows only appOrigin, with credentials.
	allowApp corsPolicy = func(h http.Header, origin string) {
		if origin == appOrigin {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Set("Access-Control-Allow-Methods", "GET, POST")
			h.Set("Vary", "Origin")
		}
	}
	// reflectAll echoes any origin with credentials: the classic hole.
	reflectAll corsPolicy = func(h http.Header, origin string) {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	// reflectAllNoCreds echoes any origin without credentials.
	reflectAllNoCreds corsPolicy = func(h http.Header, origin string) {
		h.Set("Access-Control-Allow-Origin", origin)
	}
	star corsPolicy = func(h http.Header, _ string) {
		h.Set("Access-Control-Allow-Origin", "*")
	}
	starCreds corsPolicy = func(h http.Header, _ string) {
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	noCORS corsPolicy = func(http.Header, string) {}
)

func TestCORS(t *testing.T) {
	tests := []struct {
		name   string
		policy corsPolicy
		status int // preflight status, default 204
		cfg    string
		fails  []string
	}{
		{name: "allowed origin with credentials", policy: allowApp,
			cfg: "{origin: https://app.example.com, allowed: true, credentials: true}"},
		{name: "other origin refused", policy: allowApp,
			cfg: "{origin: https://evil.example.net, allowed: false}"},
		{name: "reflects any origin with credentials", policy: reflectAll,
			cfg:   "{origin: https://app.example.com, allowed: true, credentials: true}",
			fails: []string{"cors: a preflight from an arbitrary origin (https://readyctl-probe-", ".invalid) got it reflected in Access-Control-Allow-Origin with Access-Control-Allow-Credentials: true"}},
		{name: "reflects an origin that must not be allowed", policy: reflectAll,
			cfg: "{origin: https://evil.example.net, allowed: false}",
			fails: []string{
				"cors: a preflight from https://evil.example.net, which must not be allowed, got it reflected in Access-Control-Allow-Origin with Access-Control-Allow-Credentials: true",
				"arbitrary origin",
			}},
		{name: "reflects any origin without credentials is allowed for an allowed origin", policy: reflectAllNoCreds,
			cfg: "{origin: https://app.example.com, allowed: true}"},
		{name: "reflection without credentials still refused for a disallowed origin", policy: reflectAllNoCreds,
			cfg:   "{origin: https://evil.example.net, allowed: false}",
			fails: []string{"which must not be allowed, got it reflected in Access-Control-Allow-Origin"}},
		{name: "credentials unset accepts a credentialed policy", policy: allowApp,
			cfg: "{origin: https://app.example.com, allowed: true}"},
		{name: "credentials false refuses a credentialed policy", policy: allowApp,
			cfg:   "{origin: https://app.example.com, allowed: true, credentials: false}",
			fails: []string{"got Access-Control-Allow-Credentials: true, but credentials: false"}},
		{name: "star for a public API", policy: star,
			cfg: "{origin: https://app.example.com, allowed: true, credentials: false}"},
		{name: "star for an origin that must not be allowed", policy: star,
			cfg:   "{origin: https://evil.example.net, allowed: false}",
			fails: []string{"https://evil.example.net, which must not be allowed, got Access-Control-Allow-Origin *"}},
		{name: "star when credentials are wanted", policy: star,
			cfg:   "{origin: https://app.example.com, allowed: true, credentials: true}",
			fails: []string{"got Access-Control-Allow-Origin *, which browsers refuse for credentialed requests (want https://app.example.com)"}},
		{name: "star with credentials", policy: starCreds,
			cfg:   "{origin: https://app.example.com, allowed: true}",
			fails: []string{"got Access-Control-Allow-Origin * together with Access-Control-Allow-Credentials: true"}},
		{name: "no CORS headers for an allowed origin", policy: noCORS,
			cfg:   "{origin: https://app.example.com, allowed: true}",
			fails: []string{"cors: a preflight from https://app.example.com got no Access-Control-Allow-Origin (want https://app.example.com)"}},
		{name: "another origin answered", policy: func(h http.Header, _ string) { h.Set("Access-Control-Allow-Origin", "https://www.example.com") },
			cfg:   "{origin: https://app.example.com, allowed: true}",
			fails: []string{`got Access-Control-Allow-Origin "https://www.example.com" (want https://app.example.com)`}},
		{name: "credentials allowed but not wanted", policy: allowApp,
			cfg:   "{origin: https://app.example.com, allowed: true, credentials: false}",
			fails: []string{"got Access-Control-Allow-Credentials: true, but credentials: false"}},
		{name: "credentials wanted but not allowed", policy: reflectAllNoCreds,
			cfg:   "{origin: https://app.example.com, allowed: true, credentials: true}",
			fails: []string{"got no Access-Control-Allow-Credentials: true (credentials: true)"}},
		{name: "non-simple method not listed", policy: allowApp,
			cfg:   "{origin: https://app.example.com, allowed: true, credentials: true, method: delete}",
			fails: []string{`got Access-Control-Allow-Methods "GET, POST", which does not include DELETE`}},
		{name: "preflight not 2xx", policy: allowApp, status: 405,
			cfg:   "{origin: https://app.example.com, allowed: true, credentials: true}",
			fails: []string{"a preflight from https://app.example.com was answered 405; browsers need a 2xx preflight"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodOptions {
					tt.policy(w.Header(), r.Header.Get("Origin"))
					st := tt.status
					if st == 0 {
						st = http.StatusNoContent
					}
					w.WriteHeader(st)
				}
			})
			p := load(t, "url: "+srv.URL+"/api/me\nbearer_token: s3cr3t\ncors: "+tt.cfg+"\n")
			obs, err := run(t, p)
			if n := srv.countMethod(http.MethodOptions); n != 2 {
				t.Errorf("cors sent %d preflights, want 2", n)
			}
			if n := srv.count(); n != 3 {
				t.Errorf("%d requests in all, want the main one and 2 preflights", n)
			}
			var origins []string
			for _, r := range srv.sent() {
				if r.Method != http.MethodOptions {
					continue
				}
				origins = append(origins, r.Header.Get("Origin"))
				if r.Header.Get("Authorization") != "" {
					t.Error("a preflight carried credentials")
				}
				if r.Header.Get("Access-Control-Request-Method") == "" {
					t.Error("a preflight without Access-Control-Request-Method")
				}
			}
			if len(origins) == 2 && !strings.HasPrefix(origins[1], "https://readyctl-probe-") {
				t.Errorf("second preflight origin %q is not a random probe origin", origins[1])
			}
			if len(tt.fails) == 0 {
				wantPass(t, err)
				if sub(t, obs, "cors", "ok") != true {
					t.Errorf("cors observation = %v", obs["cors"])
				}
				return
			}
			wantFail(t, err, tt.fails...)
		})
	}
}

func TestCORSObservations(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { reflectAll(w.Header(), r.Header.Get("Origin")) })
	obs, err := run(t, load(t, "url: "+srv.URL+"\ncors: {origin: https://app.example.com, allowed: true, credentials: true}\n"))
	failMessage(t, err)
	if got := sub(t, obs, "cors", "preflight", "allow_origin"); got != appOrigin {
		t.Errorf("preflight allow_origin = %v", got)
	}
	if sub(t, obs, "cors", "arbitrary_origin_reflected") != true || sub(t, obs, "cors", "arbitrary_origin", "allow_credentials") != true {
		t.Errorf("arbitrary origin observation = %v", obs["cors"])
	}
	if sub(t, obs, "cors", "method") != "GET" {
		t.Errorf("method defaults to the probe's: %v", obs["cors"])
	}
}

func TestCORSValidate(t *testing.T) {
	for cfg, want := range map[string]string{
		"cors: {allowed: true}":                                    "cors.origin is required",
		"cors: {origin: app.example.com, allowed: true}":           "must be an origin",
		"cors: {origin: https://app.example.com/x, allowed: true}": "must be an origin",
		"cors: {origin: https://app.example.com}":                  "cors.allowed is required",
	} {
		if _, err := loadErr("url: http://x\n" + cfg + "\n"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", cfg, err, want)
		}
	}
}
