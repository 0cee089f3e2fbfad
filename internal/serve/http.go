package serve

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/report"
)

var errServerClosed = http.ErrServerClosed

// maxRequestBody bounds what a request may send: every endpoint is a GET.
const maxRequestBody = 1 << 10

// listen binds the address and builds the HTTP server around the handler.
func (s *Server) listen() (*http.Server, net.Listener, error) {
	hs := &http.Server{
		Handler: s.Handler(),
		// A client that trickles its headers or never reads its answer
		// must not hold a connection open for ever.
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	if s.opts.CertFile != "" || s.opts.KeyFile != "" {
		cfg, err := loadTLS(s.opts.CertFile, s.opts.KeyFile)
		if err != nil {
			return nil, nil, err
		}
		hs.TLSConfig = cfg
	}
	ln, err := net.Listen("tcp", s.opts.Listen)
	if err != nil {
		return nil, nil, fmt.Errorf("serve: listen on %s: %w", s.opts.Listen, err)
	}
	return hs, ln, nil
}

// loadTLS reads the certificate and key as hostile files: regular files
// only, bounded in size.
func loadTLS(certFile, keyFile string) (*tls.Config, error) {
	if certFile == "" || keyFile == "" {
		return nil, fmt.Errorf("serve: TLS needs both a certificate and a key file")
	}
	certPEM, err := checks.ReadFile(certFile, checks.MaxCredentialFile)
	if err != nil {
		return nil, fmt.Errorf("serve: TLS certificate: %w", err)
	}
	keyPEM, err := checks.ReadFile(keyFile, checks.MaxCredentialFile)
	if err != nil {
		return nil, fmt.Errorf("serve: TLS key: %w", err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("serve: TLS certificate and key %s, %s: %w", certFile, keyFile, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// Handler serves /ready, /report, /metrics and /healthz.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", s.healthz)
	mux.Handle("/ready", s.auth(http.HandlerFunc(s.ready)))
	mux.Handle("/report", s.auth(http.HandlerFunc(s.report)))
	mux.Handle("/metrics", s.auth(promhttp.HandlerFor(s.gatherer(), promhttp.HandlerOpts{
		// One bad metric must not hide the verdict from Prometheus.
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
	})))
	return onlyGet(mux)
}

// onlyGet refuses anything but GET and HEAD, and bounds request bodies.
func onlyGet(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
		next.ServeHTTP(w, r)
	})
}

// auth requires the bearer token when one is configured. The comparison
// is of digests, in constant time, so neither the token's bytes nor its
// length leak through timing.
func (s *Server) auth(next http.Handler) http.Handler {
	if s.opts.Token == "" {
		return next
	}
	want := sha256.Sum256([]byte(s.opts.Token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := bearer(r.Header.Get("Authorization"))
		sum := sha256.Sum256([]byte(got))
		if !ok || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="readyctl"`)
			http.Error(w, "unauthorized: send Authorization: Bearer <READYCTL_SERVE_TOKEN>", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func bearer(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, "ok")
}

// readyResponse is the body of /ready.
type readyResponse struct {
	Verdict string `json:"verdict"`
	// Time is when the round the verdict comes from finished; absent
	// before the first round.
	Time      *time.Time       `json:"time,omitempty"`
	StartedAt *time.Time       `json:"started_at,omitempty"`
	Blocking  []report.Blocker `json:"blocking"`
}

// notYet is /ready before the first round: not ready, and why.
var notYet = func() []byte {
	b, _ := json.Marshal(readyResponse{Verdict: report.NotReady, Blocking: []report.Blocker{{
		Reason: "no_round_yet", Message: "the first round has not finished",
	}}})
	return append(b, '\n')
}()

func readyBody(rep *report.Report, finished time.Time) ([]byte, int) {
	started := rep.StartedAt
	body := readyResponse{Verdict: rep.Verdict, Time: &finished, StartedAt: &started, Blocking: rep.Blocking()}
	if body.Blocking == nil {
		body.Blocking = []report.Blocker{}
	}
	b, err := json.Marshal(body)
	if err != nil {
		b = []byte(`{"verdict":"not_ready","blocking":[]}`)
	}
	status := http.StatusServiceUnavailable
	if rep.Verdict == report.Ready {
		status = http.StatusOK
	}
	return append(b, '\n'), status
}

func (s *Server) ready(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	snap := s.last.Load()
	if snap == nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write(notYet)
		return
	}
	w.WriteHeader(snap.status)
	w.Write(snap.ready)
}

func (s *Server) report(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Vary", "Accept")
	snap := s.last.Load()
	switch {
	case snap == nil:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write(notYet)
		return
	case snap.failed:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write(snap.json)
		return
	}
	// The html renderer is looked up by name: a build without it still
	// answers, in JSON.
	if render, ok := report.Lookup("html"); ok && wantsHTML(r.Header.Values("Accept")) {
		if page, err := snap.renderHTML(render); err == nil {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write(page)
			return
		} else {
			s.log.Error("html report could not be rendered; answering in JSON", "err", err)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(snap.json)
}

// wantsHTML reports whether the Accept header asks for text/html (a
// browser) rather than JSON; a q=0 refusal does not count.
func wantsHTML(accept []string) bool {
	for _, h := range accept {
		for _, part := range strings.Split(h, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil || mt != "text/html" {
				continue
			}
			if q := params["q"]; q == "0" || q == "0.0" || q == "0.00" || q == "0.000" {
				continue
			}
			return true
		}
	}
	return false
}
