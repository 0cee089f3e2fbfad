package loadcheck

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// load shares http's credentials options: bearer_token and basic_auth go
// with every request, and conflict with user:password in the url.
func TestCredentials(t *testing.T) {
	for _, tc := range []struct{ block, user, password, bearer string }{
		{"bearer_token: tok-1", "", "", "Bearer tok-1"},
		{"basic_auth: {username: u, password: p}", "u", "p", ""},
	} {
		var bad atomic.Int64
		url := serve(t, func(w http.ResponseWriter, r *http.Request) {
			u, p, _ := r.BasicAuth()
			if r.Header.Get("Authorization") == "" || u != tc.user || p != tc.password ||
				(tc.bearer != "" && r.Header.Get("Authorization") != tc.bearer) {
				bad.Add(1)
			}
		})
		p, err := decode(t, "url: "+url+"/\nrequests: 5\nconnections: 1\n"+tc.block)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := runProbe(t, p, 10*time.Second); err != nil {
			t.Fatalf("%s: %v", tc.block, err)
		}
		if bad.Load() != 0 {
			t.Errorf("%s: %d requests without the credentials", tc.block, bad.Load())
		}
	}
	if _, err := decode(t, "url: http://u:p@127.0.0.1/\nrequests: 5\nbearer_token: t"); err == nil {
		t.Error("bearer_token with user:password in url accepted")
	}
}
