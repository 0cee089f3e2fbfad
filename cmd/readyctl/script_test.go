package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain makes the test binary double as readyctl, so each script runs
// the real command in its own process (signals and exit codes included).
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"readyctl": func() { os.Exit(run()) }})
}

// TestScripts runs testdata/script/*.txtar: each holds a checklist, the
// commands to run and the output expected.
func TestScripts(t *testing.T) {
	testscript.Run(t, scriptParams("../../testdata/script", map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"serve":    cmdServe,
		"hang":     cmdHang,
		"refused":  cmdRefused,
		"rc":       cmdRC,
		"tlsserve": cmdTLSServe,
		"flowsvc":  cmdFlowSvc, // flow_test.go
		// sign-offs: signoff_script_test.go
		"keygen":      cmdKeygen,
		"allowsigner": cmdAllowSigner,
		"replace":     cmdReplace,
		"cpglob":      cmdCpGlob,
	}))
}

// scriptParams are the settings every script suite shares: the real
// binary only through exec, a private config directory, no colour.
func scriptParams(dir string, cmds map[string]func(ts *testscript.TestScript, neg bool, args []string)) testscript.Params {
	return testscript.Params{
		Dir:                 dir,
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("XDG_CONFIG_HOME", env.WorkDir+"/.config")
			env.Setenv("NO_COLOR", "1")
			return nil
		},
		Cmds: cmds,
	}
}

// rc CODE COMMAND [ARGS...] runs a command and requires exactly that exit
// code; stdout and stderr are kept for the next assertions.
func cmdRC(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: rc CODE COMMAND [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("rc: bad code %q", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		got = ee.ExitCode()
	} else if err != nil {
		ts.Fatalf("rc: %v", err)
	}
	if got != want {
		ts.Fatalf("exit code %d, want %d", got, want)
	}
}

// serve NAME [status=N] [delay=D] [body=S] [ready_after=D] [echo]
// starts a loopback HTTP server and sets $NAME to its base URL and
// $NAME_ADDR to host:port. ready_after answers 503 until D has passed;
// echo answers with the request's headers, URL and body as JSON.
func cmdServe(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: serve NAME [status=N] [delay=D] [body=S] [ready_after=D] [echo]")
	}
	status, body, echo := 200, `{"status":"ok"}`, false
	var delay, readyAfter time.Duration
	for _, a := range args[1:] {
		k, v, _ := strings.Cut(a, "=")
		var err error
		switch k {
		case "status":
			status, err = strconv.Atoi(v)
		case "delay":
			delay, err = time.ParseDuration(v)
		case "ready_after":
			readyAfter, err = time.ParseDuration(v)
		case "body":
			body = v
		case "echo":
			echo = true
		default:
			err = fmt.Errorf("unknown option")
		}
		if err != nil {
			ts.Fatalf("serve %s: %v", a, err)
		}
	}
	start := time.Now()
	var hits atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if readyAfter > 0 && time.Since(start) < readyAfter {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"status":"starting"}`)
			return
		}
		if echo {
			var b strings.Builder
			fmt.Fprintf(&b, "url=%s\n", r.URL.String())
			for k, v := range r.Header {
				fmt.Fprintf(&b, "%s: %s\n", k, strings.Join(v, ","))
			}
			if u, p, ok := r.BasicAuth(); ok {
				fmt.Fprintf(&b, "basic=%s:%s\n", u, p)
			}
			buf := make([]byte, 4096)
			n, _ := r.Body.Read(buf)
			fmt.Fprintf(&b, "body=%s\n", buf[:n])
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(status)
			fmt.Fprint(w, b.String())
			return
		}
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	})
	l := listen(ts)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(l) //nolint:errcheck
	ts.Defer(func() { srv.Close() })
	ts.Setenv(args[0], "http://"+l.Addr().String())
	ts.Setenv(args[0]+"_ADDR", l.Addr().String())
}

// hang NAME accepts TCP connections and never answers; $NAME is host:port.
func cmdHang(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: hang NAME")
	}
	l := listen(ts)
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c) // held open, never read or written
		}
	}()
	ts.Defer(func() {
		l.Close()
		for _, c := range conns {
			c.Close()
		}
	})
	ts.Setenv(args[0], l.Addr().String())
}

// refused NAME sets $NAME to a loopback host:port where nothing listens.
func cmdRefused(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: refused NAME")
	}
	l := listen(ts)
	addr := l.Addr().String()
	l.Close()
	ts.Setenv(args[0], addr)
}

func listen(ts *testscript.TestScript) net.Listener {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		ts.Fatalf("listen: %v", err)
	}
	return l
}

// tlsserve NAME DAYS starts a loopback TLS server whose certificate (for
// localhost and 127.0.0.1, self-signed) expires in DAYS days; $NAME_ADDR is
// its host:port and $WORK/NAME.pem its certificate, to trust with ca_file.
func cmdTLSServe(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: tlsserve NAME DAYS")
	}
	days, err := strconv.Atoi(args[1])
	if err != nil {
		ts.Fatalf("tlsserve: bad days %q", args[1])
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		ts.Fatalf("key: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "localhost"},
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Duration(days)*24*time.Hour + time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		ts.Fatalf("certificate: %v", err)
	}
	os.WriteFile(ts.MkAbs(args[0]+".pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	l := tls.NewListener(listen(ts), &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	srv := &http.Server{Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(l) //nolint:errcheck
	ts.Defer(func() { srv.Close() })
	ts.Setenv(args[0]+"_ADDR", l.Addr().String())
}
