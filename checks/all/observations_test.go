package all_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/testsvc"
)

// TestObservationDeclarations: every kind declares what `expect:` can
// use: unique names, valid types, a doc each, a declared map above every
// dotted name, and key observations for the text report.
func TestObservationDeclarations(t *testing.T) {
	valid := map[checks.Type]bool{}
	for _, ty := range checks.ValidTypes {
		valid[ty] = true
	}
	for _, name := range checks.Names() {
		kind, _ := checks.Lookup(name)
		if len(kind.Observations) == 0 {
			t.Errorf("%s declares no observations", name)
			continue
		}
		types := map[string]checks.Type{}
		keys := 0
		for _, o := range kind.Observations {
			if _, dup := types[o.Name]; dup {
				t.Errorf("%s: observation %q declared twice", name, o.Name)
			}
			types[o.Name] = o.Type
			if !valid[o.Type] {
				t.Errorf("%s: %s has type %q", name, o.Name, o.Type)
			}
			if strings.TrimSpace(o.Doc) == "" || strings.Contains(o.Doc, "\n") {
				t.Errorf("%s: %s needs a one-line doc", name, o.Name)
			}
			if parent, _, dotted := strings.Cut(o.Name, "."); dotted && types[parent] != checks.TypeMap {
				t.Errorf("%s: %s is declared before, or without, a map %s", name, o.Name, parent)
			}
			if o.Key {
				keys++
			}
		}
		if keys == 0 {
			t.Errorf("%s marks no key observation", name)
		}
	}
}

// TestObservedValuesAreDeclared runs the kinds against loopback targets
// (PostgreSQL and Redis: every probetest.Run in their tests does the same),
// with their optional blocks on, and checks that
// every observation they produce is declared with the type it has.
func TestObservedValuesAreDeclared(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-ID", r.Header.Get("X-Request-ID"))
		if r.Header.Get("Authorization") == "" && r.URL.Query().Get("q") == "" && r.Method == http.MethodGet && r.Header.Get("X-Burst") == "" {
			w.WriteHeader(http.StatusTooManyRequests)
		}
		w.Write([]byte(`{"status":"ok"}`))
	}))
	defer srv.Close()
	tlsSrv := httptest.NewTLSServer(http.NotFoundHandler())
	defer tlsSrv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	tlsAddr := strings.TrimPrefix(tlsSrv.URL, "https://")
	prom := testsvc.StartPrometheus(t, testsvc.PrometheusOptions{
		ScrapeJobs: map[string][]string{"down": {"127.0.0.1:1"}},
		Rules:      "groups:\n  - name: g\n    rules:\n      - alert: Always\n        expr: vector(1) > 0\n",
	})
	for _, c := range []struct{ kind, block string }{
		{"http", "url: " + srv.URL + "\nstatus: [200, 429]\nbearer_token: t\nsecurity_headers: baseline\ncors: {origin: https://a.example, allowed: true}\nrequest_id: {header: X-Request-ID}\nauth_required: true\ninjection: {params: [q]}\nrate_limit: {requests: 3}\n"},
		{"http", "url: " + srv.URL + "\nhttps_redirect: true\nhttp_url: " + srv.URL + "\n"},
		{"tcp", "address: " + ln.Addr().String() + "\n"},
		{"tcp", "address: 127.0.0.1:1\nexpect_closed: true\n"},
		{"tls", "address: " + tlsAddr + "\nforbid_versions: [\"1.0\"]\n"},
		{"prometheus", "url: " + prom.URL + "\nready: true\nquery: vector(1)\ntargets: {}\nrules: {require: [Always]}\nalerts: {firing: any}\n"},
		{"load", "url: " + srv.URL + "\nconnections: 2\nrequests: 20\nthresholds: [\"p(95) < 2s\"]\n"},
	} {
		kind, _ := checks.Lookup(c.kind)
		p := kind.New()
		if err := checklist.DecodeBlock(c.block, p); err != nil {
			t.Fatalf("%s: %v", c.kind, err)
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("%s: %v", c.kind, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		obs, err := p.Run(ctx)
		cancel()
		t.Logf("%s: %d observations, err %v", c.kind, len(obs), err)
		if len(obs) == 0 {
			t.Errorf("%s observed nothing", c.kind)
		}
		for _, problem := range checks.Undeclared(kind, obs) {
			t.Errorf("%s", problem)
		}
	}
}
