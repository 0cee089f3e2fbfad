package main

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/readyctl/readyctl/checks/flowcheck/flowtest"
)

// flowServices are the services flowsvc started, by script, so that
// noflowsecret knows the tokens and cookies they issued.
var flowServices sync.Map // *testscript.TestScript -> *flowtest.Service

// flowsvc NAME [auth_bypass] [fail_login] starts the loopback auth and
// accounts service of checks/flowcheck/flowtest; $NAME is its base URL.
func cmdFlowSvc(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: flowsvc NAME [auth_bypass] [fail_login]")
	}
	svc := flowtest.New()
	for _, a := range args[1:] {
		switch a {
		case "auth_bypass":
			svc.AuthBypass = true
		case "fail_login":
			svc.FailLogin = true
		default:
			ts.Fatalf("flowsvc: unknown option %q", a)
		}
	}
	l := listen(ts)
	srv := &http.Server{Handler: svc, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(l) //nolint:errcheck
	flowServices.Store(ts, svc)
	ts.Defer(func() {
		srv.Close()
		flowServices.Delete(ts)
	})
	ts.Setenv(args[0], "http://"+l.Addr().String())
}

// noflowsecret stdout|stderr|FILE... fails if any file holds a token or
// session cookie the script's flowsvc issued, or the payload or signature
// part of a token (the JWT header is the same for every token).
func cmdNoFlowSecret(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: noflowsecret stdout|stderr|FILE...")
	}
	v, ok := flowServices.Load(ts)
	if !ok {
		ts.Fatalf("noflowsecret: no flowsvc started")
	}
	_, tokens, cookies := v.(*flowtest.Service).Snapshot()
	if len(tokens) == 0 || len(cookies) == 0 {
		ts.Fatalf("noflowsecret: the service issued no token or cookie: nothing was tested")
	}
	forms := append([]string{}, cookies...)
	for _, t := range tokens {
		forms = append(forms, t)
		parts := strings.Split(t, ".")
		forms = append(forms, parts[1:]...)
	}
	for _, name := range args {
		text := ts.ReadFile(name)
		for _, f := range forms {
			if strings.Contains(text, f) {
				ts.Fatalf("%s holds %q, a secret the flow captured:\n%s", name, f, text)
			}
		}
	}
}
