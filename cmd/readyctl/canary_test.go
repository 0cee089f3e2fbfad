package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestCanary runs testdata/canary/*.txtar: a ${env:} secret (the canary)
// goes into a URL password, headers and a body; the target echoes it back
// in every form (as a JSON value and key, URL- and query-escaped); no
// byte of it may reach any output, log or error of check, list and
// validate.
func TestCanary(t *testing.T) {
	testscript.Run(t, scriptParams("../../testdata/canary", map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"rc":         cmdRC,
		"refused":    cmdRefused,
		"canaryecho": cmdCanaryEcho,
		"nocanary":   cmdNoCanary,
		// flows: flow_test.go
		"flowsvc":      cmdFlowSvc,
		"noflowsecret": cmdNoFlowSecret,
	}))
}

// canaryecho NAME starts a loopback server that answers every request
// with JSON echoing what it got: each header value and the decoded body
// both as a key and as a value, in raw, URL-path and URL-query escaped
// forms, and the raw path and query. $NAME is its host:port.
func cmdCanaryEcho(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: canaryecho NAME")
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		out := map[string]any{"path": r.URL.RawPath + r.URL.Path, "query": r.URL.RawQuery, "body": string(body)}
		echo := func(v string) {
			for _, f := range []string{v, url.PathEscape(v), url.QueryEscape(v)} {
				out[f] = f
			}
		}
		for _, vs := range r.Header {
			for _, v := range vs {
				echo(v)
				if _, after, ok := strings.Cut(v, " "); ok {
					echo(after) // the token of "Bearer TOKEN"
				}
			}
		}
		if u, p, ok := r.BasicAuth(); ok {
			echo(u + ":" + p)
			echo(p)
		}
		var parsed map[string]any
		if json.Unmarshal(body, &parsed) == nil {
			for k, v := range parsed {
				echo(k)
				echo(fmt.Sprint(v))
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Echo", r.Header.Get("X-Canary"))
		w.WriteHeader(http.StatusInternalServerError)
		json.NewEncoder(w).Encode(out) //nolint:errcheck
	})
	l := listen(ts)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(l) //nolint:errcheck
	ts.Defer(func() { srv.Close() })
	ts.Setenv(args[0], l.Addr().String())
}

// nocanary FILE... fails if any file (or stdout/stderr of the last
// command) holds the canary ($CANARY) in any form: raw, URL-path or
// URL-query escaped, JSON-escaped, or any 8-byte piece of it.
func cmdNoCanary(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: nocanary stdout|stderr|FILE...")
	}
	canary := ts.Getenv("CANARY")
	forms := []string{url.PathEscape(canary), url.QueryEscape(canary)}
	for i := 0; i+8 <= len(canary); i++ {
		forms = append(forms, canary[i:i+8])
	}
	for _, name := range args {
		var text string
		switch name {
		case "stdout", "stderr":
			text = ts.ReadFile(name)
		default:
			text = ts.ReadFile(name)
		}
		for _, f := range forms {
			if strings.Contains(text, f) {
				ts.Fatalf("%s holds %q of the canary:\n%s", name, f, text)
			}
		}
	}
}
