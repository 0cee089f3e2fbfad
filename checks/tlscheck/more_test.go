package tlscheck

import (
	"context"
	"crypto"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
	"golang.org/x/crypto/ocsp"

	"github.com/readyctl/readyctl/checks"
)

// ocspStaple builds a DER OCSP response about leaf, signed by the CA key
// like a real responder's.
func ocspStaple(t testing.TB, leaf, ca *issued, status string, nextUpdate time.Time) []byte {
	t.Helper()
	return signedStaple(t, leaf, ca, ca.key, status, nextUpdate)
}

// signedStaple signs a response about leaf, issued by ca, with key.
func signedStaple(t testing.TB, leaf, ca *issued, key crypto.Signer, status string, nextUpdate time.Time) []byte {
	t.Helper()
	now := time.Now()
	tmpl := ocsp.Response{
		SerialNumber: leaf.cert.SerialNumber,
		ThisUpdate:   now.Add(-time.Hour).UTC(),
		NextUpdate:   nextUpdate.UTC(),
	}
	switch status {
	case "good":
		tmpl.Status = ocsp.Good
	case "unknown":
		tmpl.Status = ocsp.Unknown
	case "revoked":
		tmpl.Status = ocsp.Revoked
		tmpl.RevokedAt = now.Add(-48 * time.Hour).UTC()
	}
	der, err := ocsp.CreateResponse(ca.cert, ca.cert, tmpl, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestOCSPStaple(t *testing.T) {
	pk := newPKI(t)
	leaf := issue(t, certSpec{cn: "api.test", dns: []string{"api.test"}}, pk.root)
	other := issue(t, certSpec{cn: "api.test", dns: []string{"api.test"}}, pk.root)
	now := time.Now()
	cases := []struct {
		name   string
		staple []byte
		block  string
		want   outcome
		status any
	}{
		{name: "good staple, required", staple: ocspStaple(t, leaf, pk.root, "good", now.Add(72*time.Hour)), block: "require_ocsp_staple: true", status: "good"},
		{name: "no staple, not required", status: nil},
		{
			name: "no staple, required", block: "require_ocsp_staple: true", status: nil,
			want: outcome{"ocsp", []string{"server does not staple an OCSP response (require_ocsp_staple)"}},
		},
		{
			name: "revoked staple", staple: ocspStaple(t, leaf, pk.root, "revoked", now.Add(72*time.Hour)), status: "revoked",
			want: outcome{"ocsp", []string{"stapled OCSP response says the certificate was revoked on " + now.Add(-48*time.Hour).UTC().Format("2006-01-02")}},
		},
		{
			name: "unknown staple", staple: ocspStaple(t, leaf, pk.root, "unknown", now.Add(72*time.Hour)), status: "unknown",
			want: outcome{"ocsp", []string{"stapled OCSP response says the certificate status is unknown"}},
		},
		{
			name: "stale staple", staple: ocspStaple(t, leaf, pk.root, "good", now.Add(-50*time.Hour)), block: "require_ocsp_staple: true", status: "good",
			want: outcome{"ocsp", []string{"stapled OCSP response is stale: its next update was due 2 days ago"}},
		},
		{
			name: "staple for another certificate", staple: ocspStaple(t, other, pk.root, "good", now.Add(72*time.Hour)), status: nil,
			want: outcome{"ocsp", []string{"stapled OCSP response is unusable: it is about another certificate, not the leaf (serial "}},
		},
		{
			name: "staple signed by another key", staple: signedStaple(t, leaf, pk.root, pk.other.key, "good", now.Add(72*time.Hour)), status: nil,
			want: outcome{"ocsp", []string{`stapled OCSP response is unusable: the responder's signature does not verify with the issuer "Test Root CA"`}},
		},
		{
			name: "garbage staple", staple: []byte("not ocsp"), status: nil,
			want: outcome{"ocsp", []string{"stapled OCSP response is unusable: its 8 bytes are not a DER OCSP response"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cert := chain(leaf)
			cert.OCSPStaple = tc.staple
			srv := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{cert}})
			block := mergeYAML(t, fmt.Sprintf("address: %s\nserver_name: api.test\nca_file: %s\n", srv.addr, pk.caFile), tc.block)
			obs, err := runProbe(t, probeFrom(t, block))
			checkOutcome(t, obs, err, tc.want)
			if obs["ocsp_stapled"] != (tc.staple != nil) || obs["ocsp_status"] != tc.status {
				t.Errorf("ocsp_stapled=%v ocsp_status=%v, want %v %v", obs["ocsp_stapled"], obs["ocsp_status"], tc.staple != nil, tc.status)
			}
		})
	}
}

// TestErrors: when no TLS session can be judged the probe returns an
// error (status error) with a classified reason, never a failure, and never
// outlives its context.
func TestErrors(t *testing.T) {
	closed := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return addr
	}
	silent := serve(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	plain := serve(t, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 512)
		_, _ = c.Read(buf)
		_, _ = io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
	})
	cases := []struct {
		name, addr, block string
		reason            string
		msg               string
	}{
		{"connection refused", closed(), "", checks.ReasonConnectionRefused, "connection refused"},
		{"server never answers the ClientHello", silent.addr, "", checks.ReasonTimeout, "TLS handshake with " + silent.addr},
		{"plain-text server", plain.addr, "", checks.ReasonTLS, "TLS handshake with " + plain.addr + " failed: tls: first record does not look like a TLS handshake (the server does not speak TLS on this port; if it upgrades in-protocol, set starttls: postgres or smtp)"},
		{"SMTP server that never greets", silent.addr, "starttls: smtp", checks.ReasonTimeout, "SMTP server at " + silent.addr + ", waiting for its greeting"},
		{"not PostgreSQL", plain.addr, "starttls: postgres", "protocol", "does not speak the PostgreSQL protocol: it answered SSLRequest with byte 0x48"},
		{"unresolvable host", "no-such-host.invalid:443", "", checks.ReasonDNS, "no-such-host.invalid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := probeFrom(t, mergeYAML(t, "address: "+tc.addr, tc.block))
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			start := time.Now()
			obs, err := p.Run(ctx)
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("Run took %s with a 500ms deadline", took)
			}
			if err == nil {
				t.Fatalf("want error, got pass: %v", obs)
			}
			t.Logf("%s: %v", checks.Classify(err), err)
			var f *checks.Failure
			if errors.As(err, &f) {
				t.Fatalf("want an error (could not check), got a failure: %v", err)
			}
			if got := checks.Classify(err); got != tc.reason {
				t.Errorf("reason = %q, want %q (%v)", got, tc.reason, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("message %q does not contain %q", err, tc.msg)
			}
			if obs["address"] != tc.addr {
				t.Errorf("observations lack the address: %v", obs)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		block, field, msg string
	}{
		{"server_name: x", "address", "required"},
		{"address: example.com", "address", `"example.com" is not host:port`},
		{"address: ':443'", "address", `":443" is not host:port`},
		{"address: a:1\nmin_days_left: -1", "min_days_left", "must not be negative"},
		{"address: a:1\nmin_version: SSL3", "min_version", `unknown TLS version "SSL3"`},
		{"address: a:1\nforbid_versions: [TLS1.0, SSLv3]", "forbid_versions[1]", `unknown TLS version "SSLv3"`},
		{"address: a:1\nmin_version: TLS1.3\nforbid_versions: [TLS1.3]", "forbid_versions", "forbids every version from min_version TLS1.3 up"},
		{"address: a:1\nallow_ciphers: [TLS_FOO]", "allow_ciphers[0]", `unknown cipher suite "TLS_FOO"`},
		{"address: a:1\ncipher_policy: paranoid", "cipher_policy", `unknown policy "paranoid"`},
		{"address: a:1\nstarttls: imap", "starttls", `unknown protocol "imap"`},
		{"address: a:1\nmin_rsa_bits: -5", "min_rsa_bits", "must not be negative"},
	}
	for _, tc := range cases {
		p := New().(*Probe)
		if err := yaml.Unmarshal([]byte(tc.block), p); err != nil {
			t.Fatal(err)
		}
		err := p.Validate()
		var fe *checks.FieldError
		if !errors.As(err, &fe) {
			t.Errorf("%q: want a field error, got %v", tc.block, err)
			continue
		}
		if fe.Field != tc.field || !strings.Contains(fe.Err.Error(), tc.msg) {
			t.Errorf("%q: got %s: %v, want %s: ...%s...", tc.block, fe.Field, fe.Err, tc.field, tc.msg)
		}
	}

	// Accepted spellings.
	for _, block := range []string{
		"address: '[::1]:443'",
		"address: a:1\nmin_version: tls 1.3\nforbid_versions: ['1.0', TLSv1.1]",
		"address: a:1\nmax_validity: 398",
		"address: a:1\nmax_validity: 398d",
		"address: a:1\nstarttls: postgres\ncipher_policy: strict",
	} {
		p := New().(*Probe)
		if err := yaml.Unmarshal([]byte(block), p); err != nil {
			t.Errorf("%q: %v", block, err)
			continue
		}
		if err := p.Validate(); err != nil {
			t.Errorf("%q: %v", block, err)
		}
	}
}

func TestDays(t *testing.T) {
	for in, want := range map[string]Days{"max_validity: 398": 398, "max_validity: 398d": 398, "max_validity: '90d'": 90, "max_validity: 0": 0} {
		var v struct {
			MaxValidity Days `yaml:"max_validity"`
		}
		if err := yaml.Unmarshal([]byte(in), &v); err != nil || v.MaxValidity != want {
			t.Errorf("%q: got %d, %v; want %d", in, v.MaxValidity, err, want)
		}
	}
	for _, in := range []string{"max_validity: 1y", "max_validity: -3", "max_validity: 9552h", "max_validity: [1]"} {
		var v struct {
			MaxValidity Days `yaml:"max_validity"`
		}
		if err := yaml.Unmarshal([]byte(in), &v); err == nil {
			t.Errorf("%q: accepted as %d", in, v.MaxValidity)
		}
	}
}

// TestDocs: `readyctl probes tls` prints every field from its tags, and the
// example must decode strictly into the probe and validate.
func TestDocs(t *testing.T) {
	typ := reflect.TypeOf(Probe{})
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		if f.Tag.Get("yaml") == "" || f.Tag.Get("doc") == "" {
			t.Errorf("field %s needs yaml and doc tags", f.Name)
		}
	}
	k, ok := checks.Lookup("tls")
	if !ok {
		t.Fatal("kind tls not registered")
	}
	if !strings.HasPrefix(k.Example, "- id: ") || k.Summary == "" {
		t.Errorf("example must start with \"- id: \" and summary be set")
	}
	var items []map[string]yaml.Node
	if err := yaml.Unmarshal([]byte(k.Example), &items); err != nil || len(items) != 1 {
		t.Fatalf("example: %v", err)
	}
	block := items[0]["tls"]
	// The loader strips expect: before decoding the probe.
	for i := 0; i+1 < len(block.Content); i += 2 {
		if block.Content[i].Value == "expect" {
			block.Content = append(block.Content[:i], block.Content[i+2:]...)
			break
		}
	}
	out, err := yaml.Marshal(&block)
	if err != nil {
		t.Fatal(err)
	}
	probeFrom(t, string(out))
}

// peekConn replays bytes already read from a connection.
type peekConn struct {
	net.Conn
	r io.Reader
}

func (c *peekConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// TestSilentRefusal: a server (or middlebox) that drops ClientHellos of old
// versions without a word refuses them; the probe must not turn that into
// a timeout of the whole item.
func TestSilentRefusal(t *testing.T) {
	t.Parallel()
	pk := newPKI(t)
	cfg := &tls.Config{Certificates: []tls.Certificate{chain(issue(t, certSpec{cn: "api.test", dns: []string{"api.test"}}, pk.root))}}
	srv := serve(t, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		// Record header (5 bytes), handshake header (4), then the
		// ClientHello's legacy_version: 0x0303 unless only TLS 1.0/1.1
		// is offered.
		hdr := make([]byte, 11)
		if _, err := io.ReadFull(c, hdr); err != nil {
			return
		}
		if hdr[9] == 3 && hdr[10] < 3 {
			_, _ = io.Copy(io.Discard, c) // silence until the client gives up
			return
		}
		serveConn(tls.Server(&peekConn{Conn: c, r: io.MultiReader(strings.NewReader(string(hdr)), c)}, cfg))
	})
	p := probeFrom(t, fmt.Sprintf("address: %s\nserver_name: api.test\nca_file: %s\n", srv.addr, pk.caFile))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	obs, err := p.Run(ctx)
	checkOutcome(t, obs, err, outcome{})
	t.Logf("took %s", time.Since(start))

	// With too little time left for the silent handshakes, it is an error.
	ctx, cancel = context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	obs, err = p.Run(ctx)
	if err == nil || isFailure(err) || checks.Classify(err) != checks.ReasonTimeout {
		t.Errorf("want a timeout error, got %v (%v)", err, obs)
	}
}

// TestHandshakeFailsAfterCertificate: a server that demands a client
// certificate (TLS 1.2) breaks the handshake after sending its own; what it
// sent is still judged.
func TestHandshakeFailsAfterCertificate(t *testing.T) {
	pk := newPKI(t)
	now := time.Now()
	cases := []struct {
		name string
		leaf *issued
		max  uint16
		want outcome
	}{
		{
			name: "expired certificate is still reported",
			leaf: issue(t, certSpec{cn: "api.test", dns: []string{"api.test"}, notBefore: now.Add(-30 * 24 * time.Hour), notAfter: now.Add(-3 * 24 * time.Hour)}, pk.root),
			max:  tls.VersionTLS12,
			want: outcome{"cert_expired", []string{"certificate for api.test expired 3 days ago", "; TLS handshake then failed: "}},
		},
		{
			name: "good certificate, but the check could not finish",
			leaf: issue(t, certSpec{cn: "api.test", dns: []string{"api.test"}}, pk.root),
			max:  tls.VersionTLS12,
			want: outcome{checks.ReasonTLS, []string{"failed after the server sent its certificate"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{chain(tc.leaf)}, ClientAuth: tls.RequireAnyClientCert, MaxVersion: tc.max})
			obs, err := runProbe(t, probeFrom(t, fmt.Sprintf("address: %s\nserver_name: api.test\nca_file: %s\n", srv.addr, pk.caFile)))
			checkOutcome(t, obs, err, tc.want)
			if obs["subject"] != "CN=api.test,O=readyctl test" {
				t.Errorf("subject = %v: the certificate was not inspected", obs["subject"])
			}
		})
	}
}
