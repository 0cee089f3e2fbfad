package tlscheck

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Certificates are generated per test case at the dates the case needs.
// Keys are expensive to make, so a few are made once and shared.

var (
	keysOnce           sync.Once
	rsa2048a, rsa2048b *rsa.PrivateKey
	rsa1024            *rsa.PrivateKey
	ecKeys             = map[string]*ecdsa.PrivateKey{}
	ecMu               sync.Mutex
)

func rsaKeys(t testing.TB) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if rsa2048a, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if rsa2048b, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		// 1024 bits is the smallest crypto/rsa allows without
		// GODEBUG=rsa1024min=0, and all this test needs.
		if rsa1024, err = rsa.GenerateKey(rand.Reader, 1024); err != nil {
			panic(err)
		}
	})
}

// ecKey returns a P-256 key, the same one for the same label.
func ecKey(label string) *ecdsa.PrivateKey {
	ecMu.Lock()
	defer ecMu.Unlock()
	if k, ok := ecKeys[label]; ok {
		return k
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	ecKeys[label] = k
	return k
}

type certSpec struct {
	cn        string
	dns       []string
	ips       []net.IP
	notBefore time.Time // zero: an hour ago
	notAfter  time.Time // zero: 90 days from now
	ca        bool
	key       crypto.Signer // zero: a P-256 key per cn
	sigAlg    x509.SignatureAlgorithm
	noEKU     bool
}

type issued struct {
	cert *x509.Certificate
	key  crypto.Signer
}

var serial int64 = 1000

// issue creates a certificate for spec signed by parent (self-signed when
// parent is nil).
func issue(t testing.TB, spec certSpec, parent *issued) *issued {
	t.Helper()
	now := time.Now()
	if spec.notBefore.IsZero() {
		spec.notBefore = now.Add(-time.Hour)
	}
	if spec.notAfter.IsZero() {
		spec.notAfter = now.Add(90 * 24 * time.Hour)
	}
	if spec.key == nil {
		spec.key = ecKey(spec.cn)
	}
	ecMu.Lock()
	serial++
	sn := big.NewInt(serial)
	ecMu.Unlock()
	tmpl := &x509.Certificate{
		SerialNumber:       sn,
		Subject:            pkix.Name{CommonName: spec.cn, Organization: []string{"readyctl test"}},
		NotBefore:          spec.notBefore,
		NotAfter:           spec.notAfter,
		DNSNames:           spec.dns,
		IPAddresses:        spec.ips,
		SignatureAlgorithm: spec.sigAlg,
		KeyUsage:           x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
	}
	if !spec.noEKU {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	if spec.ca {
		tmpl.IsCA = true
		tmpl.BasicConstraintsValid = true
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
		tmpl.ExtKeyUsage = nil
	}
	parentCert, signer := tmpl, spec.key
	if parent != nil {
		parentCert, signer = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parentCert, spec.key.Public(), signer)
	if err != nil {
		t.Fatalf("create certificate %s: %v", spec.cn, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &issued{cert: c, key: spec.key}
}

// chain is what a server presents: the leaf's key and certificates in
// order, leaf first.
func chain(leaf *issued, rest ...*issued) tls.Certificate {
	tc := tls.Certificate{PrivateKey: leaf.key, Leaf: leaf.cert}
	tc.Certificate = append(tc.Certificate, leaf.cert.Raw)
	for _, c := range rest {
		tc.Certificate = append(tc.Certificate, c.cert.Raw)
	}
	return tc
}

// writePEM writes certificates to a file in dir and returns its path.
func writePEM(t testing.TB, dir, name string, certs ...*issued) string {
	t.Helper()
	var b []byte
	for _, c := range certs {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.cert.Raw})...)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func keyPEM(t testing.TB, k crypto.Signer) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// tlsServer is a real TLS server on 127.0.0.1 that handshakes and then
// waits for the client to hang up. It counts handshakes the client started
// so tests can bound how many connections a probe makes.
type tlsServer struct {
	addr  string
	mu    sync.Mutex
	conns int
}

func (s *tlsServer) connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

func serveTLS(t testing.TB, cfg *tls.Config) *tlsServer {
	t.Helper()
	return serve(t, func(c net.Conn) { serveConn(tls.Server(c, cfg)) })
}

// serve accepts connections on 127.0.0.1 and hands each to handle.
func serve(t testing.TB, handle func(net.Conn)) *tlsServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &tlsServer{addr: l.Addr().String()}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns++
			s.mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				handle(c)
			}()
		}
	}()
	return s
}

// serveConn handshakes and drains until the peer closes, bounded in time.
func serveConn(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if tc, ok := c.(*tls.Conn); ok {
		if err := tc.Handshake(); err != nil {
			return
		}
	}
	_, _ = io.Copy(io.Discard, c)
}
