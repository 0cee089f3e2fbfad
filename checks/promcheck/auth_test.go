package promcheck_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/readyctl/readyctl/internal/testsvc"
)

const (
	token    = "readyctl-test-token"
	tenant   = "team-a"
	user     = "readyctl"
	password = "readyctl-test-secret"
	// bcrypt (cost 4) of password, for Prometheus's basic_auth_users.
	passwordHash = "$2a$04$cavO0J9h65II01EK1an1ZeTzt/TVx.S99YjUQtHpXl7thJIzVep1a"
)

// Prometheus cannot check bearer tokens itself; in production it sits
// behind a gateway that does (oauth-proxy, a Mimir/Cortex gateway needing
// X-Scope-OrgID). The test puts such a gateway in front of the real server.
func testBearerAndHeaders(t *testing.T, e *env) {
	target, _ := url.Parse(e.prom.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token || r.Header.Get("X-Scope-OrgID") != tenant {
			http.Error(w, "no valid token for tenant", http.StatusUnauthorized)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(gw.Close)
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	header := "\nheaders: {X-Scope-OrgID: " + tenant + "}"
	for _, tc := range []struct {
		name, block string
		want        want
	}{
		{"bearer token and tenant header", "bearer_token: " + token + header, want{Status: "pass", Holds: []string{`value == 42`}}},
		{"bearer_token_file", "bearer_token_file: " + tokenFile + header, want{Status: "pass"}},
		{"no token", strings.TrimPrefix(header, "\n"), want{Status: "error", Reason: "auth",
			Contains: []string{`query "scalar(vector(42))"`, "HTTP 401 Unauthorized: no valid token for tenant"}}},
		{"no tenant header", "bearer_token: " + token, want{Status: "error", Reason: "auth"}},
		{"wrong token", "bearer_token: nope" + header, want{Status: "error", Reason: "auth", NotContains: []string{"nope"}}},
		{"ready through the gateway", "bearer_token: " + token + header + "\nready: true", want{Status: "pass"}},
		{"ready without token", strings.TrimPrefix(header, "\n") + "\nready: true", want{Status: "error", Reason: "auth",
			Contains: []string{"GET /-/ready answered 401"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			block := "url: " + gw.URL + "\nquery: scalar(vector(42))\n" + tc.block
			if strings.Contains(tc.block, "ready: true") {
				block = "url: " + gw.URL + "\n" + tc.block
			}
			tc.want.check(t, run(t, block))
		})
	}
}

// TestTLSAndBasicAuth uses a second real Prometheus that serves HTTPS with
// a certificate the test made and requires basic auth (its own
// --web.config.file), so no gateway is involved.
func TestTLSAndBasicAuth(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ca, certFile, keyFile := selfSigned(t, dir)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	p := testsvc.StartPrometheus(t, testsvc.PrometheusOptions{
		WebConfig: "tls_server_config:\n  cert_file: " + certFile + "\n  key_file: " + keyFile +
			"\nbasic_auth_users:\n  " + user + ": " + passwordHash + "\n",
		Scheme:   "https",
		Client:   &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}},
		Username: user,
		Password: password,
	})
	hostURL := strings.Replace(p.URL, "https://", "https://"+user+":"+password+"@", 1)
	basic := "\nbasic_auth: {username: " + user + ", password: " + password + "}"
	trust := "\ntls: {ca_file: " + certFile + "}"
	for _, tc := range []struct {
		name, block string
		want        want
	}{
		{"basic auth over verified TLS", "url: " + p.URL + basic + trust, want{Status: "pass", Holds: []string{`value == 1`}}},
		{"credentials in the url", "url: " + hostURL + trust, want{Status: "pass", Holds: []string{
			`url == "` + strings.Replace(hostURL, password, "xxxxx", 1) + `"`,
		}}},
		{"no basic auth", "url: " + p.URL + trust, want{Status: "error", Reason: "auth", Contains: []string{"HTTP 401"}}},
		{"wrong password", "url: " + p.URL + trust + "\nbasic_auth: {username: " + user + ", password: wrong}",
			want{Status: "error", Reason: "auth", NotContains: []string{"wrong"}}},
		{"untrusted certificate", "url: " + p.URL + basic, want{Status: "error", Reason: "tls",
			Contains: []string{`query "vector(1)"`, "certificate"}, NotContains: []string{password}}},
		{"insecure_skip_verify", "url: " + p.URL + basic + "\ntls: {insecure_skip_verify: true}", want{Status: "pass"}},
		{"server_name checked", "url: " + p.URL + basic + "\ntls: {ca_file: " + certFile + ", server_name: other.example}",
			want{Status: "error", Reason: "tls"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.want.check(t, run(t, tc.block+"\nquery: vector(1)"))
		})
	}
}

// selfSigned writes a self-signed certificate for 127.0.0.1 that is its
// own CA, and returns it with its files.
func selfSigned(t *testing.T, dir string) (*x509.Certificate, string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "readyctl test prometheus"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, certFile, keyFile
}
