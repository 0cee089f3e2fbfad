package tlscheck

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/probetest"
)

// probeFrom decodes a tls block strictly into the factory's defaults, the
// way the loader does, and validates it.
func probeFrom(t testing.TB, block string) *Probe {
	t.Helper()
	p := New().(*Probe)
	probetest.Load(t, p, block)
	return p
}

func runProbe(t testing.TB, p *Probe) (checks.Observations, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return p.Run(ctx)
}

// outcome is what a test expects from Run: reason "" means pass.
type outcome struct {
	reason string
	msgs   []string // substrings of the message, each required
}

func checkOutcome(t *testing.T, obs checks.Observations, err error, want outcome) {
	t.Helper()
	if err != nil {
		t.Logf("%s: %v", checks.Classify(err), err)
	}
	if want.reason == "" {
		if err != nil {
			t.Fatalf("want pass, got %s: %v\nobservations: %v", checks.Classify(err), err, obs)
		}
		return
	}
	if err == nil {
		t.Fatalf("want %s, got pass\nobservations: %v", want.reason, obs)
	}
	if got := checks.Classify(err); got != want.reason {
		t.Errorf("reason = %q, want %q (%v)", got, want.reason, err)
	}
	for _, m := range want.msgs {
		if !strings.Contains(err.Error(), m) {
			t.Errorf("message %q\ndoes not contain %q", err.Error(), m)
		}
	}
}

func isFailure(err error) bool {
	_, ok := err.(*checks.Failure)
	return ok
}

// pki is a root CA trusted through ca_file, and an unrelated one.
type pki struct {
	root, other *issued
	caFile      string
}

func newPKI(t testing.TB) pki {
	t.Helper()
	root := issue(t, certSpec{cn: "Test Root CA", ca: true, notAfter: time.Now().Add(3650 * 24 * time.Hour)}, nil)
	other := issue(t, certSpec{cn: "Other CA", ca: true, notAfter: time.Now().Add(3650 * 24 * time.Hour)}, nil)
	return pki{root: root, other: other, caFile: writePEM(t, t.TempDir(), "ca.pem", root)}
}

var loopback = []net.IP{net.IPv4(127, 0, 0, 1)}

func TestCertificates(t *testing.T) {
	rsaKeys(t)
	pk := newPKI(t)
	now := time.Now()
	day := 24 * time.Hour
	leafFor := func(spec certSpec) *issued {
		if spec.cn == "" {
			spec.cn = "api.test"
		}
		if spec.dns == nil {
			spec.dns = []string{"api.test"}
		}
		return issue(t, spec, pk.root)
	}
	inter := issue(t, certSpec{cn: "Test Intermediate CA", ca: true, notAfter: now.Add(5*day + time.Hour)}, pk.root)
	sha1CA := issue(t, certSpec{cn: "Test RSA Root", ca: true, key: rsa2048a, notAfter: now.Add(3650 * day)}, nil)
	sha1CAFile := writePEM(t, t.TempDir(), "rsa-ca.pem", sha1CA)
	selfSigned := issue(t, certSpec{cn: "api.test", dns: []string{"api.test"}}, nil)
	unknownCA := issue(t, certSpec{cn: "api.test", dns: []string{"api.test"}}, pk.other)

	cases := []struct {
		name  string
		cert  tls.Certificate
		block string // extra YAML lines; address and ca_file are added
		noCA  bool   // leave ca_file out (system roots)
		want  outcome
		check func(t *testing.T, obs checks.Observations)
	}{
		{
			name: "valid",
			cert: chain(leafFor(certSpec{})),
			check: func(t *testing.T, obs checks.Observations) {
				if obs["verified"] != true || obs["hostname_ok"] != true || obs["version"] != "TLS1.3" {
					t.Errorf("verified=%v hostname_ok=%v version=%v", obs["verified"], obs["hostname_ok"], obs["version"])
				}
				if d := obs["days_left"].(int); d != 89 {
					t.Errorf("days_left = %d, want 89", d)
				}
				if obs["subject"] != "CN=api.test,O=readyctl test" || obs["issuer"] != "CN=Test Root CA,O=readyctl test" {
					t.Errorf("subject %v issuer %v", obs["subject"], obs["issuer"])
				}
				if s := obs["sans"].([]any); len(s) != 1 || s[0] != "api.test" {
					t.Errorf("sans = %v", s)
				}
				if !strings.HasPrefix(obs["cipher"].(string), "TLS_") {
					t.Errorf("cipher = %v", obs["cipher"])
				}
				if c := obs["chain"].([]any); len(c) != 1 || c[0].(map[string]any)["days_left"] != 89 {
					t.Errorf("chain = %v", c)
				}
				if v := obs["accepted_forbidden_versions"].([]any); len(v) != 0 {
					t.Errorf("accepted_forbidden_versions = %v", v)
				}
				if v := obs["weak_ciphers"].([]any); len(v) != 0 {
					t.Errorf("weak_ciphers = %v", v)
				}
			},
		},
		{
			name: "valid leaf by IP address",
			cert: chain(leafFor(certSpec{dns: []string{}, ips: loopback})),
			// No server_name: the host of address (an IP) must be in the
			// certificate's IP SANs.
			block: "server_name: ''",
		},
		{
			name: "ca_file is what makes a private CA trusted",
			cert: chain(leafFor(certSpec{})),
			noCA: true,
			want: outcome{"chain", []string{`chain does not verify: unknown authority (issuer "Test Root CA" is not a trusted CA; set ca_file if it is a private CA)`}},
		},
		{
			name: "expiring in 3 days",
			cert: chain(leafFor(certSpec{notAfter: now.Add(3*day + time.Hour)})),
			want: outcome{"cert_expiring", []string{fmt.Sprintf("certificate for api.test expires in 3 days (%s), minimum is 14", now.Add(3*day+time.Hour).UTC().Format("2006-01-02"))}},
			check: func(t *testing.T, obs checks.Observations) {
				if obs["days_left"] != 3 || obs["verified"] != true {
					t.Errorf("days_left=%v verified=%v", obs["days_left"], obs["verified"])
				}
			},
		},
		{
			name:  "expiring in 3 days passes a 2-day minimum",
			cert:  chain(leafFor(certSpec{notAfter: now.Add(3*day + time.Hour)})),
			block: "min_days_left: 2",
		},
		{
			name: "expired",
			cert: chain(leafFor(certSpec{notBefore: now.Add(-90 * day), notAfter: now.Add(-2*day - time.Hour)})),
			want: outcome{"cert_expired", []string{fmt.Sprintf("certificate for api.test expired 2 days ago (%s)", now.Add(-2*day-time.Hour).UTC().Format("2006-01-02"))}},
			check: func(t *testing.T, obs checks.Observations) {
				if obs["days_left"] != -3 || obs["verified"] != false {
					t.Errorf("days_left=%v verified=%v", obs["days_left"], obs["verified"])
				}
			},
		},
		{
			name: "not yet valid",
			cert: chain(leafFor(certSpec{notBefore: now.Add(2*day + time.Hour)})),
			want: outcome{"cert_not_yet_valid", []string{fmt.Sprintf("certificate for api.test is not valid until %s (in 2 days)", now.Add(2*day+time.Hour).UTC().Format("2006-01-02"))}},
		},
		{
			name: "wrong host",
			cert: chain(leafFor(certSpec{cn: "other.test", dns: []string{"other.test", "www.other.test"}})),
			want: outcome{"hostname", []string{"certificate is for other.test, www.other.test, not api.test"}},
			check: func(t *testing.T, obs checks.Observations) {
				if obs["hostname_ok"] != false || obs["verified"] != true {
					t.Errorf("hostname_ok=%v verified=%v", obs["hostname_ok"], obs["verified"])
				}
			},
		},
		{
			name:  "server_name selects the name to match",
			cert:  chain(leafFor(certSpec{cn: "other.test", dns: []string{"other.test"}})),
			block: "server_name: other.test",
		},
		{
			name: "self-signed",
			cert: chain(selfSigned),
			want: outcome{"chain", []string{"chain does not verify: unknown authority (the certificate is self-signed"}},
			check: func(t *testing.T, obs checks.Observations) {
				if obs["verified"] != false || obs["hostname_ok"] != true {
					t.Errorf("verified=%v hostname_ok=%v", obs["verified"], obs["hostname_ok"])
				}
			},
		},
		{
			name: "unknown CA",
			cert: chain(unknownCA),
			want: outcome{"chain", []string{`chain does not verify: unknown authority (issuer "Other CA" is not in ca_file)`}},
		},
		{
			name: "intermediate expiring before the leaf",
			cert: chain(issue(t, certSpec{cn: "api.test", dns: []string{"api.test"}, notAfter: now.Add(60 * day)}, inter), inter),
			want: outcome{"cert_expiring", []string{fmt.Sprintf(`intermediate certificate "Test Intermediate CA" expires in 5 days (%s), minimum is 14`, now.Add(5*day+time.Hour).UTC().Format("2006-01-02"))}},
			check: func(t *testing.T, obs checks.Observations) {
				if obs["days_left"] != 5 || obs["expires_first"] != `intermediate certificate "Test Intermediate CA"` || obs["verified"] != true {
					t.Errorf("days_left=%v expires_first=%v verified=%v", obs["days_left"], obs["expires_first"], obs["verified"])
				}
				c := obs["chain"].([]any)
				if len(c) != 2 || c[0].(map[string]any)["days_left"] != 59 || c[1].(map[string]any)["subject"] != "CN=Test Intermediate CA,O=readyctl test" {
					t.Errorf("chain = %v", c)
				}
			},
		},
		{
			name:  "SHA-1 signed",
			cert:  chain(issue(t, certSpec{cn: "api.test", dns: []string{"api.test"}, key: rsa2048b, sigAlg: x509.SHA1WithRSA}, sha1CA)),
			block: "ca_file: " + sha1CAFile,
			want: outcome{"chain", []string{
				"certificate for api.test is signed with SHA1-RSA, which clients reject; reissue it signed with SHA-256 or better",
				"chain does not verify: a certificate in it is signed with an insecure algorithm; ",
			}},
			check: func(t *testing.T, obs checks.Observations) {
				if obs["signature_algorithm"] != "SHA1-RSA" {
					t.Errorf("signature_algorithm = %v", obs["signature_algorithm"])
				}
			},
		},
		{
			name:  "SHA-256 signed by the same RSA CA",
			cert:  chain(issue(t, certSpec{cn: "api.test", dns: []string{"api.test"}, key: rsa2048b, sigAlg: x509.SHA256WithRSA}, sha1CA)),
			block: "ca_file: " + sha1CAFile,
			check: func(t *testing.T, obs checks.Observations) {
				if obs["key"] != "RSA 2048" || obs["signature_algorithm"] != "SHA256-RSA" {
					t.Errorf("key=%v signature_algorithm=%v", obs["key"], obs["signature_algorithm"])
				}
			},
		},
		{
			name: "RSA 1024",
			cert: chain(leafFor(certSpec{key: rsa1024})),
			want: outcome{"weak_key", []string{"certificate for api.test has a 1024-bit RSA key, minimum is 2048"}},
		},
		{
			name:  "RSA 1024 passes min_rsa_bits 1024",
			cert:  chain(leafFor(certSpec{key: rsa1024})),
			block: "min_rsa_bits: 1024",
		},
		{
			name:  "lifetime over max_validity",
			cert:  chain(leafFor(certSpec{notBefore: now.Add(-day), notAfter: now.Add(824 * day)})),
			block: "max_validity: 398",
			want: outcome{"validity", []string{fmt.Sprintf("certificate for api.test is valid for 825 days (%s to %s), max_validity is 398",
				now.Add(-day).UTC().Format("2006-01-02"), now.Add(824*day).UTC().Format("2006-01-02"))}},
			check: func(t *testing.T, obs checks.Observations) {
				if obs["validity_days"] != 825 {
					t.Errorf("validity_days = %v", obs["validity_days"])
				}
			},
		},
		{
			name:  "lifetime within max_validity",
			cert:  chain(leafFor(certSpec{notBefore: now.Add(-day), notAfter: now.Add(396 * day)})),
			block: `max_validity: "398d"`,
		},
		{
			name: "certificate without serverAuth usage",
			cert: chain(leafFor(certSpec{noEKU: true})),
			// No EKU at all means "any" to x509; so this passes.
		},
		{
			name: "several problems are all listed",
			cert: chain(issue(t, certSpec{cn: "old.test", dns: []string{"old.test"}, key: rsa1024, notBefore: now.Add(-400 * day), notAfter: now.Add(-day - time.Hour)}, pk.other)),
			want: outcome{"cert_expired", []string{"certificate for old.test expired 25 hours ago", "; chain does not verify: unknown authority", "; certificate is for old.test, not api.test", "; certificate for old.test has a 1024-bit RSA key"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{tc.cert}})
			block := fmt.Sprintf("address: %s\nserver_name: api.test\n", srv.addr)
			if !tc.noCA && !strings.Contains(tc.block, "ca_file") {
				block += "ca_file: " + pk.caFile + "\n"
			}
			block = mergeYAML(t, block, tc.block)
			p := probeFrom(t, block)
			obs, err := runProbe(t, p)
			checkOutcome(t, obs, err, tc.want)
			if err != nil && !isFailure(err) {
				t.Errorf("want a failure (the server answered), got an error: %v", err)
			}
			if tc.check != nil {
				tc.check(t, obs)
			}
		})
	}
}

// mergeYAML lets a case's lines override the base block's keys.
func mergeYAML(t testing.TB, base, extra string) string {
	t.Helper()
	m := map[string]any{}
	for _, s := range []string{base, extra} {
		if err := yaml.Unmarshal([]byte(s), &m); err != nil {
			t.Fatal(err)
		}
	}
	out, err := yaml.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// TestProtocol covers what the server negotiates and accepts: versions and
// cipher suites, each found by a handshake offering only them.
func TestProtocol(t *testing.T) {
	rsaKeys(t)
	pk := newPKI(t)
	rsaLeaf := chain(issue(t, certSpec{cn: "api.test", dns: []string{"api.test"}, key: rsa2048a}, pk.root))
	strong := []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256}
	weak := []uint16{
		tls.TLS_RSA_WITH_RC4_128_SHA,
		tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA,
		tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
		tls.TLS_RSA_WITH_AES_128_GCM_SHA256,
	}
	weakNames := []any{"TLS_RSA_WITH_RC4_128_SHA", "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "TLS_RSA_WITH_AES_128_GCM_SHA256"}

	cases := []struct {
		name   string
		server *tls.Config
		block  string
		want   outcome
		check  func(t *testing.T, obs checks.Observations)
		// maxConns bounds the connections the probe may open.
		maxConns int
	}{
		{
			name:     "modern server",
			server:   &tls.Config{CipherSuites: strong},
			maxConns: 4, // first + TLS 1.0 + TLS 1.1 + one refused weak offer
		},
		{
			name:   "TLS 1.2 only, strong suites",
			server: &tls.Config{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12, CipherSuites: strong},
			check: func(t *testing.T, obs checks.Observations) {
				if obs["version"] != "TLS1.2" || obs["cipher"] != "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" {
					t.Errorf("version=%v cipher=%v", obs["version"], obs["cipher"])
				}
			},
		},
		{
			name:   "min_version TLS1.3 fails a TLS 1.2 server",
			server: &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: strong},
			block:  "min_version: TLS1.3",
			want:   outcome{"version", []string{"server negotiated TLS 1.2, min_version is TLS 1.3"}},
		},
		{
			name:   "server stuck at TLS 1.1",
			server: &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11, CipherSuites: append(slices.Clone(strong), tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA)},
			block:  "cipher_policy: off",
			want:   outcome{"version", []string{"server negotiated TLS 1.1, min_version is TLS 1.2", "; server accepts TLS 1.0 and TLS 1.1 (forbid_versions)"}},
			check: func(t *testing.T, obs checks.Observations) {
				if obs["version"] != "TLS1.1" || obs["weak_ciphers"] != nil {
					t.Errorf("version=%v weak_ciphers=%v", obs["version"], obs["weak_ciphers"])
				}
			},
		},
		{
			name:   "legacy server accepts TLS 1.0, TLS 1.1 and weak suites",
			server: &tls.Config{MinVersion: tls.VersionTLS10, CipherSuites: append(slices.Clone(strong), weak...)},
			want: outcome{"weak_version", []string{
				"server accepts TLS 1.0 and TLS 1.1 (forbid_versions)",
				"server accepts weak cipher suites: ",
				"TLS_RSA_WITH_RC4_128_SHA (RSA key exchange, RC4)",
				"TLS_RSA_WITH_3DES_EDE_CBC_SHA (RSA key exchange, 3DES)",
				"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 (CBC)",
				"TLS_RSA_WITH_AES_128_GCM_SHA256 (RSA key exchange)",
			}},
			check: func(t *testing.T, obs checks.Observations) {
				if obs["version"] != "TLS1.3" {
					t.Errorf("version = %v", obs["version"])
				}
				if got := obs["accepted_forbidden_versions"]; !slices.Equal(got.([]any), []any{"TLS1.0", "TLS1.1"}) {
					t.Errorf("accepted_forbidden_versions = %v", got)
				}
				got := obs["weak_ciphers"].([]any)
				slices.SortFunc(got, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
				want := slices.Clone(weakNames)
				slices.SortFunc(want, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
				if !slices.Equal(got, want) {
					t.Errorf("weak_ciphers = %v, want %v", got, want)
				}
			},
			// first + 2 versions + one per weak suite + the refused last offer
			maxConns: 1 + 2 + len(weak) + 1,
		},
		{
			name:   "forbid_versions [] and cipher_policy off skip those checks",
			server: &tls.Config{MinVersion: tls.VersionTLS10, CipherSuites: append(slices.Clone(strong), weak...)},
			block:  "forbid_versions: []\ncipher_policy: off",
			check: func(t *testing.T, obs checks.Observations) {
				if v := obs["accepted_forbidden_versions"].([]any); len(v) != 0 || obs["weak_ciphers"] != nil {
					t.Errorf("accepted_forbidden_versions=%v weak_ciphers=%v", v, obs["weak_ciphers"])
				}
			},
			maxConns: 1,
		},
		{
			name:   "Go's default server passes the insecure policy",
			server: &tls.Config{},
		},
		{
			name:   "strict policy fails ECDHE CBC suites",
			server: &tls.Config{},
			block:  "cipher_policy: strict",
			want:   outcome{"weak_cipher", []string{"server accepts weak cipher suites: TLS_ECDHE_RSA_WITH_AES_", "_CBC_SHA (CBC), TLS_ECDHE_RSA_WITH_AES_"}},
			check: func(t *testing.T, obs checks.Observations) {
				if v := obs["weak_ciphers"].([]any); len(v) != 2 {
					t.Errorf("weak_ciphers = %v, want the two ECDHE-RSA CBC-SHA suites", v)
				}
			},
		},
		{
			name:   "strict policy passes AEAD-only server",
			server: &tls.Config{CipherSuites: strong},
			block:  "cipher_policy: strict",
		},
		{
			name:   "allow_ciphers tolerates named suites",
			server: &tls.Config{CipherSuites: append(slices.Clone(strong), tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA)},
			block:  "cipher_policy: strict\nallow_ciphers: [TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA]",
		},
		{
			name:   "allow_ciphers tolerates only the named suites",
			server: &tls.Config{CipherSuites: append(slices.Clone(strong), tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, tls.TLS_RSA_WITH_AES_128_GCM_SHA256)},
			block:  "allow_ciphers: [TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA]",
			want:   outcome{"weak_cipher", []string{"server accepts weak cipher suites: TLS_RSA_WITH_AES_128_GCM_SHA256 (RSA key exchange)"}},
		},
		{
			name:   "forbid_versions can forbid TLS 1.2",
			server: &tls.Config{CipherSuites: strong},
			block:  "forbid_versions: [TLS1.0, TLS1.1, TLS1.2]",
			want:   outcome{"weak_version", []string{"server accepts TLS 1.2 (forbid_versions)"}},
		},
		{
			name:   "TLS 1.3 only server passes forbidding TLS 1.2",
			server: &tls.Config{MinVersion: tls.VersionTLS13},
			block:  "forbid_versions: [TLS1.0, TLS1.1, TLS1.2]\nmin_version: TLS1.3",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := tc.server.Clone()
			cfg.Certificates = []tls.Certificate{rsaLeaf}
			srv := serveTLS(t, cfg)
			block := mergeYAML(t, fmt.Sprintf("address: %s\nserver_name: api.test\nca_file: %s\n", srv.addr, pk.caFile), tc.block)
			obs, err := runProbe(t, probeFrom(t, block))
			checkOutcome(t, obs, err, tc.want)
			if tc.check != nil {
				tc.check(t, obs)
			}
			if tc.maxConns > 0 {
				if n := srv.connections(); n > tc.maxConns {
					t.Errorf("probe opened %d connections, at most %d expected", n, tc.maxConns)
				}
			}
		})
	}
}
