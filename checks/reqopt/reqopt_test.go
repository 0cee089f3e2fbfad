package reqopt_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/checks/reqopt"
	"github.com/readyctl/readyctl/internal/checklist"
)

func decode(t *testing.T, src string) *reqopt.Options {
	t.Helper()
	o := reqopt.Defaults()
	if err := checklist.DecodeBlock(src, &o); err != nil {
		t.Fatalf("%q: %v", src, err)
	}
	return &o
}

func TestValidateFieldPaths(t *testing.T) {
	for _, tc := range []struct{ src, field, msg string }{
		{"method: GET", "url", "required"},
		{"url: ftp://x", "url", "scheme must be http or https"},
		{"url: http://", "url", "no host"},
		{"url: http://x\nmethod: \"GE T\"", "method", "not an HTTP method"},
		{"url: http://x\nheaders: {\"a b\": c}", "headers", "header name"},
		{"url: http://x\nheaders: {a: \"b\\nc\"}", "headers", "line break"},
		{"url: http://x\ntls: {cert_file: a}", "tls", "key_file"},
		{"url: http://x\nbearer_token: t\nbasic_auth: {username: u}", "bearer_token", "only one of"},
		{"url: http://u:p@x\nbearer_token: t", "url", "only one of"},
		{"url: http://x\nbasic_auth: {}", "basic_auth.username", "required"},
		{"url: http://x\nbearer_token: t\nheaders: {authorization: x}", "headers", "Authorization"},
		{"url: http://x\nmax_redirects: -1", "max_redirects", "0 or more"},
		{"url: http://x\nmax_body_bytes: 0", "max_body_bytes", "greater than 0"},
	} {
		err := decode(t, tc.src).Validate()
		var fe *checks.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%q: %v, want a FieldError on %s saying %q", tc.src, err, tc.field, tc.msg)
		}
	}
	o := decode(t, "url: https://x/\nmethod: post\nbasic_auth: {password: only-a-password}")
	if err := o.Validate(); err != nil || o.Method != "POST" {
		t.Errorf("valid block: %v, method %q", err, o.Method)
	}
}

// A password with a '/' makes url.Parse quote a piece of it as a port;
// the message keeps the shape of the error, not the piece.
func TestParseErrorHidesURLPieces(t *testing.T) {
	err := decode(t, "url: \"http://user:ab/Pa55w0rd@host/\"").Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, piece := range []string{"Pa55w0rd", "ab/", "user:ab"} {
		if strings.Contains(err.Error(), piece) {
			t.Errorf("error shows %q: %v", piece, err)
		}
	}
}

func TestTrusted(t *testing.T) {
	u := func(s string) *url.URL { v, _ := url.Parse(s); return v }
	for _, tc := range []struct {
		origin, to string
		want       bool
	}{
		{"https://api.example.com/x", "https://api.example.com/y", true},
		{"https://api.example.com/x", "https://API.example.com:443/y", true},
		{"http://api.example.com/x", "https://api.example.com/y", false}, // other port (80 vs 443)
		{"http://api.example.com:8080/x", "https://api.example.com:8080/y", true},
		{"https://api.example.com/x", "http://api.example.com:443/y", false},
		{"https://api.example.com:8443/x", "http://api.example.com:8443/y", false},
		{"https://api.example.com/x", "https://evil.example.com/y", false},
		{"https://api.example.com/x", "https://api.example.com:8443/y", false},
	} {
		if got := reqopt.Trusted(u(tc.origin), u(tc.to)); got != tc.want {
			t.Errorf("Trusted(%s, %s) = %v, want %v", tc.origin, tc.to, got, tc.want)
		}
	}
}

func TestIsCredentialName(t *testing.T) {
	for name, want := range map[string]bool{
		"Authorization": true, "Proxy-Authorization": true, "Cookie": true, "X-API-Key": true,
		"X-Auth-Token": true, "api_key": true, "access_token": true, "X-Session-ID": true, "key": true,
		"Accept": false, "Content-Type": false, "author": false, "page": false, "X-Request-ID": false, "sort_key": false,
	} {
		if got := reqopt.IsCredentialName(name); got != want {
			t.Errorf("IsCredentialName(%q) = %v, want %v", name, got, want)
		}
	}
}

// recorder is a listener that keeps the headers and URLs it received.
type recorder struct {
	*httptest.Server
	mu  sync.Mutex
	got []*http.Request
}

func newRecorder(t *testing.T, tls bool, h http.HandlerFunc) *recorder {
	r := &recorder{}
	wrapped := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.got = append(r.got, req.Clone(req.Context()))
		r.mu.Unlock()
		h(w, req)
	})
	if tls {
		r.Server = httptest.NewTLSServer(wrapped)
	} else {
		r.Server = httptest.NewServer(wrapped)
	}
	t.Cleanup(r.Close)
	return r
}

func (r *recorder) requests() []*http.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*http.Request(nil), r.got...)
}

func ok(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }

// A TLS target redirecting to a plain-http listener: the listener must
// get none of the credentials (today a bearer token went out in clear).
func TestRedirectToPlainHTTPDropsCredentials(t *testing.T) {
	plain := newRecorder(t, false, ok)
	secure := newRecorder(t, true, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/same" {
			http.Redirect(w, r, "/final", http.StatusFound)
			return
		}
		if r.URL.Path == "/final" {
			w.WriteHeader(http.StatusOK)
			return
		}
		http.Redirect(w, r, plain.URL+"/landing", http.StatusFound)
	})
	for _, auth := range []string{"bearer_token: S3cretBearer", "basic_auth: {username: u, password: S3cretBasic}"} {
		o := decode(t, "url: "+secure.URL+"/start\n"+auth+"\ntls: {insecure_skip_verify: true}\n"+
			"headers: {X-Api-Key: S3cretKey, X-Tenant: S3cretTenant, Cookie: session=S3cretCookie, Accept: application/json}")
		if err := o.Validate(); err != nil {
			t.Fatal(err)
		}
		send(t, o)
	}
	reqs := plain.requests()
	if len(reqs) != 2 {
		t.Fatalf("plain listener got %d requests, want 2", len(reqs))
	}
	for _, r := range reqs {
		for k, v := range r.Header {
			if strings.Contains(strings.Join(v, " "), "S3cret") || k == "Authorization" {
				t.Errorf("credential header %s: %v sent over plain http", k, v)
			}
		}
		if r.Header.Get("Accept") != "application/json" {
			t.Errorf("safe header Accept dropped: %v", r.Header)
		}
	}

	// A redirect within the same origin keeps them.
	o := decode(t, "url: "+secure.URL+"/same\nbearer_token: S3cretBearer\ntls: {insecure_skip_verify: true}\nheaders: {X-Api-Key: S3cretKey}")
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	send(t, o)
	all := secure.requests()
	last := all[len(all)-1]
	if last.URL.Path != "/final" || last.Header.Get("Authorization") != "Bearer S3cretBearer" || last.Header.Get("X-Api-Key") != "S3cretKey" {
		t.Errorf("same-origin redirect lost credentials: %s %v", last.URL, last.Header)
	}
}

// A redirect to another host (same scheme) drops credentials and every
// configured header but the safe ones.
func TestRedirectToOtherHostDropsConfiguredHeaders(t *testing.T) {
	other := newRecorder(t, false, ok)
	first := newRecorder(t, false, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/x", http.StatusTemporaryRedirect)
	})
	o := decode(t, "url: http://u:S3cretPw@"+strings.TrimPrefix(first.URL, "http://")+"/\nheaders: {X-Custom: S3cretCustom, User-Agent: probe}")
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	send(t, o)
	reqs := other.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	if h := reqs[0].Header; h.Get("Authorization") != "" || h.Get("X-Custom") != "" || h.Get("User-Agent") != "probe" {
		t.Errorf("other host got %v", h)
	}
	if h := first.requests()[0].Header; h.Get("Authorization") == "" || h.Get("X-Custom") != "S3cretCustom" {
		t.Errorf("the configured host did not get its credentials: %v", h)
	}
}

func send(t *testing.T, o *reqopt.Options) {
	t.Helper()
	c, err := o.Client()
	if err != nil {
		t.Fatal(err)
	}
	req, err := o.NewRequest(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// SignedTransport (prometheus: the client library builds the requests)
// signs requests to the origin only.
func TestSignedTransport(t *testing.T) {
	other := newRecorder(t, false, ok)
	origin := newRecorder(t, true, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/x", http.StatusFound)
	})
	tgt := reqopt.Target{URL: origin.URL, Headers: map[string]string{"X-Scope-OrgID": "S3cretTenant"}}
	tgt.TLS.InsecureSkipVerify = true
	tr, err := tgt.Transport()
	if err != nil {
		t.Fatal(err)
	}
	auth := reqopt.Auth{BearerToken: "S3cretBearer"}
	u, _ := url.Parse(origin.URL)
	follow := reqopt.Redirects{FollowRedirects: true, MaxRedirects: 10}
	c := &http.Client{
		Transport:     reqopt.SignedTransport(tr, u, func(r *http.Request) { tgt.ApplyHeaders(r); auth.Apply(r) }),
		CheckRedirect: follow.CheckRedirect(&tgt),
	}
	resp, err := c.Get(origin.URL + "/api")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if h := origin.requests()[0].Header; h.Get("Authorization") != "Bearer S3cretBearer" || h.Get("X-Scope-OrgID") != "S3cretTenant" {
		t.Errorf("origin not signed: %v", h)
	}
	if h := other.requests()[0].Header; h.Get("Authorization") != "" || h.Get("X-Scope-OrgID") != "" {
		t.Errorf("other host signed: %v", h)
	}
}
