// Package tlscheck is the `tls` probe kind: it handshakes with a server
// (directly, or after a PostgreSQL or SMTP STARTTLS upgrade) and judges what
// it presents: certificate dates over the whole chain, chain trust, host
// name, signature algorithms, key sizes, lifetime, OCSP staple, the
// negotiated version, and which legacy versions and weak cipher suites it
// still accepts.
//
// Fail or error: when the server answered and what it presented or accepted
// is wrong (expiring or expired certificate, untrusted chain, wrong host,
// SHA-1, small key, old versions, weak suites, no staple, no STARTTLS) the
// probe fails. When no TLS session could be judged at all (refused,
// timeout, DNS, a handshake that breaks before any certificate arrives) it
// returns an error whose reason is classified by checks.Classify.
//
// The probe only handshakes: it never sends application data, and for
// STARTTLS it never opens a database session or a mail transaction.
package tlscheck

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/readyctl/readyctl/checks"
)

// Probe is the `tls` block of a checklist item.
type Probe struct {
	Address           string   `yaml:"address" doc:"host:port to connect to; with starttls, the plain-text port (e.g. db:5432, mail:25)"`
	ServerName        string   `yaml:"server_name" doc:"name sent as SNI and matched against the certificate; default: the host of address"`
	CAFile            string   `yaml:"ca_file" doc:"PEM file of CA certificates to trust instead of the system roots"`
	MinDaysLeft       int      `yaml:"min_days_left" doc:"fail when any certificate the server presents (leaf, intermediates, root) expires in fewer days"`
	MinVersion        string   `yaml:"min_version" doc:"lowest version the server may negotiate with a client offering all versions: TLS1.0, TLS1.1, TLS1.2 or TLS1.3 (to require that older ones are refused, list them in forbid_versions)"`
	ForbidVersions    []string `yaml:"forbid_versions" doc:"versions the server must refuse; each is tried in a handshake offering only that version ([] to skip)"`
	CipherPolicy      string   `yaml:"cipher_policy" doc:"which accepted TLS 1.0-1.2 suites fail, found by offering only those: insecure (RC4, 3DES, RSA key exchange, CBC-SHA256), strict (also any CBC: only ECDHE with AES-GCM or ChaCha20 passes), off"`
	AllowCiphers      []string `yaml:"allow_ciphers" doc:"weak cipher suites to tolerate, by IANA name (e.g. TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA)"`
	MinRSABits        int      `yaml:"min_rsa_bits" doc:"smallest acceptable RSA key in any presented certificate"`
	RequireOCSPStaple bool     `yaml:"require_ocsp_staple" doc:"fail unless the server staples an OCSP response (a stapled revoked, unknown or stale response always fails)"`
	MaxValidity       Days     `yaml:"max_validity" doc:"longest acceptable leaf lifetime (not_after - not_before) in days: 398 or \"398d\"; 0 = no limit"`
	StartTLS          string   `yaml:"starttls" doc:"upgrade a plain-text connection first: postgres (SSLRequest) or smtp (EHLO, STARTTLS)"`
}

// New returns a probe with the defaults.
func New() checks.Probe {
	return &Probe{
		MinDaysLeft:    14,
		MinVersion:     "TLS1.2",
		ForbidVersions: []string{"TLS1.0", "TLS1.1"},
		CipherPolicy:   policyInsecure,
		MinRSABits:     2048,
	}
}

const example = `- id: api-certificate
  title: SSL certificates configured and valid (api)
  severity: critical
  tags: [security, tls]
  tls:
    address: api.example.com:443
    min_days_left: 30
    min_version: TLS1.2
    forbid_versions: [TLS1.0, TLS1.1]
    max_validity: 398
    expect:
      - version == "TLS1.3"
`

func init() {
	checks.Register(checks.Kind{
		Name:         "tls",
		New:          New,
		Summary:      "TLS certificate dates, chain, host name, key, versions and cipher suites of a server (also via PostgreSQL/SMTP STARTTLS)",
		Example:      example,
		Observations: observations,
	})
}

// Validate checks the configuration without I/O.
func (p *Probe) Validate() error {
	if p.Address == "" {
		return checks.FieldErrorf("address", "required: host:port of the TLS server")
	}
	if host, port, err := net.SplitHostPort(p.Address); err != nil || host == "" || port == "" {
		return checks.FieldErrorf("address", "%q is not host:port", p.Address)
	}
	if p.MinDaysLeft < 0 {
		return checks.FieldErrorf("min_days_left", "must not be negative, got %d", p.MinDaysLeft)
	}
	if p.MinRSABits < 0 {
		return checks.FieldErrorf("min_rsa_bits", "must not be negative, got %d", p.MinRSABits)
	}
	if _, ok := parseVersion(p.MinVersion); !ok {
		return checks.FieldErrorf("min_version", "unknown TLS version %q: use TLS1.0, TLS1.1, TLS1.2 or TLS1.3", p.MinVersion)
	}
	seen := map[uint16]bool{}
	for i, s := range p.ForbidVersions {
		v, ok := parseVersion(s)
		if !ok {
			return checks.FieldErrorf(fmt.Sprintf("forbid_versions[%d]", i), "unknown TLS version %q: use TLS1.0, TLS1.1, TLS1.2 or TLS1.3 (SSL 3.0 cannot be offered by this client)", s)
		}
		seen[v] = true
	}
	mv, _ := parseVersion(p.MinVersion)
	if !slices.ContainsFunc(versions, func(v uint16) bool { return v >= mv && !seen[v] }) {
		return checks.FieldErrorf("forbid_versions", "forbids every version from min_version %s up, so no server can pass", p.MinVersion)
	}
	for i, name := range p.AllowCiphers {
		if !knownSuite(name) {
			return checks.FieldErrorf(fmt.Sprintf("allow_ciphers[%d]", i), "unknown cipher suite %q: use an IANA name such as TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", name)
		}
	}
	switch p.CipherPolicy {
	case policyInsecure, policyStrict, policyOff:
	default:
		return checks.FieldErrorf("cipher_policy", "unknown policy %q: use insecure, strict or off", p.CipherPolicy)
	}
	switch p.StartTLS {
	case "", "postgres", "smtp":
	default:
		return checks.FieldErrorf("starttls", "unknown protocol %q: use postgres or smtp", p.StartTLS)
	}
	return nil
}

// sni is the name sent in the ClientHello; never an IP address (RFC 6066).
func (p *Probe) sni() string {
	if p.ServerName != "" {
		return p.ServerName
	}
	host, _, _ := net.SplitHostPort(p.Address)
	if net.ParseIP(host) != nil {
		return ""
	}
	return host
}

// hostName is what the leaf must be valid for: server_name, else the host
// (which may be an IP address, matched against IP SANs).
func (p *Probe) hostName() string {
	if p.ServerName != "" {
		return p.ServerName
	}
	host, _, _ := net.SplitHostPort(p.Address)
	return host
}

// Run handshakes once offering everything this client can speak, judges
// what the server presented, then tries each forbidden version and the weak
// suites in handshakes of their own.
func (p *Probe) Run(ctx context.Context) (checks.Observations, error) {
	obs := checks.Observations{"address": p.Address, "server_name": p.hostName()}
	// Contract names are always present; nil means "not measured".
	for _, k := range []string{"days_left", "version", "verified", "hostname_ok", "not_after", "subject", "issuer", "sans", "cipher", "chain"} {
		obs[k] = nil
	}
	if _, ok := ctx.Deadline(); !ok {
		// The runner always sets one; this keeps a stray caller from hanging.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
	}

	var roots *x509.CertPool
	if p.CAFile != "" {
		pem, err := checks.ReadFile(p.CAFile, checks.MaxCredentialFile)
		if err != nil {
			return obs, checks.WithReason("config", fmt.Errorf("ca_file: %w", err))
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return obs, checks.WithReason("config", fmt.Errorf("ca_file %s: no PEM certificates in it", p.CAFile))
		}
	}

	checks.Progress(ctx, "handshake with "+p.Address)
	start := time.Now()
	first, err := p.handshake(ctx, clientConfig(tls.VersionTLS10, tls.VersionTLS13, allSuites()))
	if err != nil {
		return obs, err
	}
	// Handshakes meant to be refused get a bounded wait of their own.
	sideWait := max(2*time.Second, 5*time.Since(start))
	if first.err != nil && len(first.certs) == 0 {
		return obs, fmt.Errorf("TLS handshake with %s failed: %w%s", p.Address, first.err, p.plainTextHint(first.err))
	}

	var ps problems
	certCheck{
		certs:       first.certs,
		name:        p.hostName(),
		roots:       roots,
		now:         time.Now(),
		minDaysLeft: p.MinDaysLeft,
		minRSABits:  p.MinRSABits,
		maxValidity: p.MaxValidity,
	}.inspect(obs, &ps)

	if first.err != nil {
		// The server sent its certificate but the handshake broke after
		// it, e.g. on a key this client refuses to verify with. Report what
		// was seen; without problems in it this is "could not check".
		if len(ps) == 0 {
			return obs, fmt.Errorf("TLS handshake with %s failed after the server sent its certificate: %w", p.Address, first.err)
		}
		ps.add("handshake", "TLS handshake then failed: %v", first.err)
		return obs, ps.err()
	}

	st := first.state
	obs["version"] = versionKey(st.Version)
	obs["cipher"] = tls.CipherSuiteName(st.CipherSuite)
	if mv, _ := parseVersion(p.MinVersion); st.Version < mv {
		ps.add("version", "server negotiated %s, min_version is %s", versionText(st.Version), versionText(mv))
	}
	p.judgeStaple(st, first.certs, roots, obs, &ps)

	if err := p.probeVersions(ctx, sideWait, obs, &ps); err != nil {
		return obs, err
	}
	if err := p.probeCiphers(ctx, sideWait, obs, &ps); err != nil {
		return obs, err
	}
	return obs, ps.err()
}

// plainTextHint explains the usual cause of a handshake that dies at once:
// the port speaks a plain-text protocol first.
func (p *Probe) plainTextHint(err error) string {
	if p.StartTLS != "" {
		return ""
	}
	if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) ||
		strings.Contains(err.Error(), "does not look like a TLS handshake") {
		return " (the server does not speak TLS on this port; if it upgrades in-protocol, set starttls: postgres or smtp)"
	}
	return ""
}

func (p *Probe) judgeStaple(st *tls.ConnectionState, certs []*x509.Certificate, roots *x509.CertPool, obs map[string]any, ps *problems) {
	obs["ocsp_stapled"] = len(st.OCSPResponse) > 0
	obs["ocsp_status"] = nil
	if len(st.OCSPResponse) == 0 {
		if p.RequireOCSPStaple {
			ps.add("ocsp", "server does not staple an OCSP response (require_ocsp_staple)")
		}
		return
	}
	s, err := parseStaple(st.OCSPResponse, certs[0], issuerOf(certs, roots))
	if err != nil {
		ps.add("ocsp", "stapled OCSP response is unusable: %v", err)
		return
	}
	obs["ocsp_status"] = s.status
	now := time.Now()
	switch {
	case s.status == "revoked":
		ps.add("ocsp", "stapled OCSP response says the certificate was revoked on %s", day(s.revokedAt))
	case s.status != "good":
		ps.add("ocsp", "stapled OCSP response says the certificate status is %s", s.status)
	case !s.nextUpdate.IsZero() && now.After(s.nextUpdate):
		ps.add("ocsp", "stapled OCSP response is stale: its next update was due %s ago (%s)", span(now.Sub(s.nextUpdate)), day(s.nextUpdate))
	}
}

// tryRefused runs a handshake the server should refuse and returns the
// session when it accepts instead, nil when it refuses. Some servers and
// middleboxes refuse an old version or suite by never answering; since the
// server has just answered a normal handshake, silence for wait counts as a
// refusal. Not reaching the server, or the item's deadline running out, is
// an error.
func (p *Probe) tryRefused(ctx context.Context, wait time.Duration, cfg *tls.Config) (*tls.ConnectionState, error) {
	hctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	a, err := p.handshake(hctx, cfg)
	switch {
	case err != nil && a.tls && ctx.Err() == nil:
		return nil, nil
	case err != nil:
		return nil, err
	case a.err != nil:
		return nil, nil
	}
	return a.state, nil
}

// probeVersions handshakes once per forbidden version, offering only it.
func (p *Probe) probeVersions(ctx context.Context, wait time.Duration, obs map[string]any, ps *problems) error {
	accepted := []any{}
	var texts []string
	for _, s := range p.ForbidVersions {
		v, _ := parseVersion(s)
		checks.Progress(ctx, "trying "+versionText(v))
		st, err := p.tryRefused(ctx, wait, clientConfig(v, v, allSuites()))
		if err != nil {
			return fmt.Errorf("checking whether %s accepts %s: %w", p.Address, versionText(v), err)
		}
		if st != nil {
			accepted = append(accepted, versionKey(v))
			texts = append(texts, versionText(v))
		}
	}
	obs["accepted_forbidden_versions"] = accepted
	if len(texts) > 0 {
		ps.add("weak_version", "server accepts %s (forbid_versions)", joinAnd(texts))
	}
	return nil
}

// probeCiphers offers only weak suites (TLS 1.0-1.2) and, each time the
// server picks one, offers the rest again, so the message lists every weak
// suite it accepts. At most one handshake more than there are weak suites.
func (p *Probe) probeCiphers(ctx context.Context, wait time.Duration, obs map[string]any, ps *problems) error {
	if p.CipherPolicy == policyOff {
		obs["weak_ciphers"] = nil
		return nil
	}
	allow := map[string]bool{}
	for _, n := range p.AllowCiphers {
		allow[n] = true
	}
	offer := weakSuites(p.CipherPolicy, allow)
	accepted := []any{}
	var texts []string
	for len(offer) > 0 {
		ids := make([]uint16, len(offer))
		for i, s := range offer {
			ids[i] = s.ID
		}
		checks.Progress(ctx, fmt.Sprintf("offering %d weak cipher suites", len(ids)))
		st, err := p.tryRefused(ctx, wait, clientConfig(tls.VersionTLS10, tls.VersionTLS12, ids))
		if err != nil {
			return fmt.Errorf("checking %s for weak cipher suites: %w", p.Address, err)
		}
		if st == nil {
			break
		}
		i := slices.IndexFunc(offer, func(s *tls.CipherSuite) bool { return s.ID == st.CipherSuite })
		if i < 0 {
			break // cannot happen: crypto/tls rejects a suite it did not offer
		}
		accepted = append(accepted, offer[i].Name)
		texts = append(texts, fmt.Sprintf("%s (%s)", offer[i].Name, weakness(offer[i].Name)))
		offer = slices.Delete(offer, i, i+1)
	}
	obs["weak_ciphers"] = accepted
	if len(texts) > 0 {
		ps.add("weak_cipher", "server accepts weak cipher suites: %s", strings.Join(texts, ", "))
	}
	return nil
}

func joinAnd(s []string) string {
	if len(s) <= 1 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

var _ checks.Probe = (*Probe)(nil)
