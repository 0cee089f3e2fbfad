package httpcheck

import (
	"net/http"
	"strings"
	"testing"
)

// An https target redirecting to a plain-http listener: the probe follows
// it, but neither the bearer token nor a configured secret header goes out
// in clear (today a bearer token did).
func TestHTTPSToHTTPRedirectSendsNoCredentials(t *testing.T) {
	plain := newServer(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	secure := newCounting(t, true, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+"/landing", http.StatusMovedPermanently)
	})
	p := load(t, "url: "+secure.URL+"/\nbearer_token: Hunter2Bearer\nheaders: {X-Api-Key: Hunter2Key, X-Anything: Hunter2Any}\ntls: {ca_file: "+caFile(t, secure)+"}\n")
	if _, err := run(t, p); err != nil {
		t.Fatal(err)
	}
	if got := secure.sent()[0].Header.Get("Authorization"); got != "Bearer Hunter2Bearer" {
		t.Fatalf("https target got Authorization %q", got)
	}
	sent := plain.sent()
	if len(sent) != 1 {
		t.Fatalf("plain listener got %d requests", len(sent))
	}
	for k, v := range sent[0].Header {
		if strings.Contains(strings.Join(v, ","), "Hunter2") {
			t.Errorf("%s: %v went out over plain http", k, v)
		}
	}
}
