package serve_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/readyctl/readyctl/internal/report"
	"github.com/readyctl/readyctl/internal/serve"
)

// selfSigned writes a certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "readyctl test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestTLS: with a certificate and key, serve speaks HTTPS (and only).
func TestTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	path := filepath.Join(t.TempDir(), "c.yaml")
	writeChecklist(t, path, httpChecklist("tls", "http://127.0.0.1:1/"))
	cl, _ := load(path)(context.Background())
	r := start(t, serve.Options{Interval: time.Hour, Checklist: cl, CertFile: certFile, KeyFile: keyFile})
	base := strings.Replace(r.base, "http://", "https://", 1)
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer c.CloseIdleConnections()
	resp, err := c.Get(base + "/healthz")
	if err != nil {
		t.Fatalf("HTTPS /healthz: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.TLS == nil {
		t.Errorf("HTTPS /healthz: %d, tls %v", resp.StatusCode, resp.TLS != nil)
	}
	if resp, err := http.Get(r.base + "/healthz"); err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Errorf("plain HTTP answered on the TLS port: %s", b)
		}
	}
}

// TestTLSBadFiles: a key that does not match, or a file that is not a
// regular file, stops the start with an error instead of serving.
func TestTLSBadFiles(t *testing.T) {
	certFile, _, _ := selfSigned(t)
	_, otherKey, _ := selfSigned(t)
	path := filepath.Join(t.TempDir(), "c.yaml")
	writeChecklist(t, path, httpChecklist("tls", "http://127.0.0.1:1/"))
	cl, _ := load(path)(context.Background())
	for _, tc := range []struct{ cert, key, want string }{
		{certFile, otherKey, "private key does not match"},
		{certFile, t.TempDir(), "TLS key"},
	} {
		srv, err := serve.New(serve.Options{Listen: "127.0.0.1:0", Interval: time.Hour, Checklist: cl, Check: check, CertFile: tc.cert, KeyFile: tc.key})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = srv.Run(ctx)
		cancel()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Run with cert %s key %s: %v, want an error with %q", tc.cert, tc.key, err, tc.want)
		}
	}
}

// TestReportHTML: /report answers text/html to a browser when an html
// renderer is registered, JSON otherwise.
func TestReportHTML(t *testing.T) {
	if _, ok := report.Lookup("html"); !ok {
		// Until the html format exists in this build, a stand-in.
		report.Register("html", func(w io.Writer, r *report.Report, _ report.Options) error {
			_, err := io.WriteString(w, "<!doctype html><title>"+r.Verdict+"</title>")
			return err
		})
	}
	path := filepath.Join(t.TempDir(), "c.yaml")
	writeChecklist(t, path, httpChecklist("html", "http://127.0.0.1:1/"))
	cl, _ := load(path)(context.Background())
	r := start(t, serve.Options{Interval: time.Hour, Checklist: cl})
	waitFor(t, func() bool { return r.srv.Rounds() >= 1 })
	for _, tc := range []struct{ accept, want string }{
		{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"},
		{"application/json", "application/json"},
		{"", "application/json"},
		{"text/html;q=0, application/json", "application/json"},
	} {
		_, hdr, body := r.get(t, "/report", "Accept", tc.accept)
		if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, tc.want) {
			t.Errorf("Accept %q: Content-Type %q, want %s", tc.accept, ct, tc.want)
		}
		if tc.want == "text/html" && !strings.Contains(strings.ToLower(body), "<!doctype html") {
			t.Errorf("Accept %q: body %.80s", tc.accept, body)
		}
	}
}
