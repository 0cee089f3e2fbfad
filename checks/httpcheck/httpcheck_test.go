package httpcheck

import (
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/probetest"
)

func probe(t *testing.T, src string) *Probe {
	t.Helper()
	p := New()
	probetest.Load(t, p, src)
	return p
}

func TestRequestOptions(t *testing.T) {
	var got *http.Request
	var body string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		b, _ := io.ReadAll(r.Body)
		body = string(b)
		w.Header().Set("X-Served-By", "test")
		w.Write([]byte(`{"status":"ok","n":3}`))
	}))
	defer srv.Close()

	obs, err := run(t, probe(t, "url: "+srv.URL+"/p?q=1\nmethod: put\nheaders: {X-A: b}\njson: {k: [1, 2]}\nbearer_token: tok\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got.Method != "PUT" || got.Header.Get("X-A") != "b" || got.Header.Get("Authorization") != "Bearer tok" ||
		got.Header.Get("Content-Type") != "application/json" || body != `{"k":[1,2]}` || got.URL.RawQuery != "q=1" {
		t.Errorf("request: %s %v %q", got.Method, got.Header, body)
	}
	if obs["status"] != 200 || obs["headers"].(map[string]any)["x-served-by"] != "test" || obs["json"].(map[string]any)["n"] != 3.0 {
		t.Errorf("observations: %v", obs)
	}
	if _, ok := obs["latency"].(time.Duration); !ok {
		t.Errorf("latency %T", obs["latency"])
	}

	if _, err := run(t, probe(t, "url: "+srv.URL+"\nbasic_auth: {username: u, password: p}\nbody: raw\n")); err != nil {
		t.Fatal(err)
	}
	if u, pw, ok := got.BasicAuth(); !ok || u != "u" || pw != "p" || body != "raw" {
		t.Errorf("basic auth %v %s %s, body %q", ok, u, pw, body)
	}
}

func TestStatusShorthand(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(204)
	}))
	defer srv.Close()
	for spec, pass := range map[string]bool{"200": false, "204": true, `"2xx"`: true, "[200, 204]": true, `["3xx", 500]`: false} {
		_, err := run(t, probe(t, "url: "+srv.URL+"\nstatus: "+spec))
		if (err == nil) != pass {
			t.Errorf("status %s: err %v, want pass=%v", spec, err, pass)
		}
		if err != nil && checks.Classify(err) != "assertion" {
			t.Errorf("status mismatch must be a failure: %v", err)
		}
	}
	p := New()
	if err := yaml.Unmarshal([]byte("url: http://x\nstatus: 2yy"), p); err == nil {
		t.Error("bad status class accepted")
	}
}

func TestMaxLatency(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(80 * time.Millisecond)
	}))
	defer srv.Close()
	_, err := run(t, probe(t, "url: "+srv.URL+"\nmax_latency: 20ms"))
	if err == nil || !strings.Contains(err.Error(), "over max_latency 20ms") {
		t.Errorf("err %v", err)
	}
	if _, err := run(t, probe(t, "url: "+srv.URL+"\nmax_latency: 2s")); err != nil {
		t.Error(err)
	}
}

func TestRedirects(t *testing.T) {
	hops := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/final" {
			w.Write([]byte("ok"))
			return
		}
		hops++
		http.Redirect(w, r, "/final", http.StatusFound)
	}))
	defer srv.Close()
	obs, err := run(t, probe(t, "url: "+srv.URL+"/start"))
	if err != nil || !strings.HasSuffix(obs["url"].(string), "/final") {
		t.Errorf("follow: %v %v", err, obs["url"])
	}
	obs, err = run(t, probe(t, "url: "+srv.URL+"/start\nfollow_redirects: false\nstatus: 302"))
	if err != nil || obs["status"] != 302 {
		t.Errorf("no follow: %v %v", err, obs["status"])
	}
	loop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/again", http.StatusFound)
	}))
	defer loop.Close()
	if _, err := run(t, probe(t, "url: "+loop.URL+"\nmax_redirects: 2")); err == nil || !strings.Contains(err.Error(), "stopped after 2 redirects") {
		t.Errorf("max_redirects: %v", err)
	}
}

func TestBodyLimit(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("x", 5000)))
	}))
	defer srv.Close()
	obs, err := run(t, probe(t, "url: "+srv.URL+"\nmax_body_bytes: 100"))
	if err != nil || len(obs["body"].(string)) != 100 {
		t.Errorf("%v, body %d bytes", err, len(obs["body"].(string)))
	}
}

func TestTLSOptions(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	// Unknown authority: error, reason tls.
	_, err := run(t, probe(t, "url: "+srv.URL))
	if err == nil || checks.Classify(err) != "tls" {
		t.Errorf("untrusted cert: %v (%s)", err, checks.Classify(err))
	}
	// Trusted through ca_file.
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644)
	if _, err := run(t, probe(t, "url: "+srv.URL+"\ntls: {ca_file: "+ca+"}")); err != nil {
		t.Errorf("ca_file: %v", err)
	}
	// httptest's certificate is for example.com: server_name selects it.
	if _, err := run(t, probe(t, "url: "+srv.URL+"\ntls: {ca_file: "+ca+", server_name: example.com}")); err != nil {
		t.Errorf("server_name: %v", err)
	}
	if _, err := run(t, probe(t, "url: "+srv.URL+"\ntls: {insecure_skip_verify: true}")); err != nil {
		t.Errorf("insecure_skip_verify: %v", err)
	}
}

func TestErrorsAreClassified(t *testing.T) {
	_, err := run(t, probe(t, "url: http://127.0.0.1:1/"))
	if checks.Classify(err) != "connection_refused" {
		t.Errorf("refused: %v", err)
	}
}

func TestValidate(t *testing.T) {
	for src, field := range map[string]string{
		"method: GET":                          "url",
		"url: ftp://x":                         "url",
		"url: http://":                         "url",
		"url: http://x\nbody: a\njson: {a: 1}": "json",
		"url: http://x\nbearer_token: t\nbasic_auth: {}": "bearer_token",
		"url: http://x\nmax_body_bytes: -1":              "max_body_bytes",
		"url: http://x\ntls: {cert_file: a}":             "tls",
	} {
		p := New()
		yaml.Unmarshal([]byte(src), p)
		err := p.Validate()
		fe, ok := err.(*checks.FieldError)
		if !ok || fe.Field != field {
			t.Errorf("%q: %v, want a FieldError on %s", src, err, field)
		}
	}
}

func TestPasswordNotInErrors(t *testing.T) {
	_, err := run(t, probe(t, "url: http://user:s3cretpw@127.0.0.1:1/"))
	if err == nil || strings.Contains(err.Error(), "s3cretpw") {
		t.Errorf("password leaked or no error: %v", err)
	}
}
