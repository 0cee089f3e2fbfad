package tlscheck

import (
	"bytes"
	"crypto/dsa" //nolint:staticcheck // only to recognise DSA keys a server presents
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/readyctl/readyctl/checks"
)

// problem is one thing the server got wrong. Code is the report's reason
// when it is the first problem found.
type problem struct{ code, msg string }

type problems []problem

func (ps *problems) add(code, format string, a ...any) {
	*ps = append(*ps, problem{code, fmt.Sprintf(format, a...)})
}

// err is one Failure listing every problem, "; "-joined, with the first
// problem's code as the reason (problems are added most serious first).
func (ps problems) err() error {
	if len(ps) == 0 {
		return nil
	}
	msgs := make([]string, len(ps))
	for i, p := range ps {
		msgs[i] = p.msg
	}
	return checks.Fail(ps[0].code, "%s", strings.Join(msgs, "; "))
}

// certCheck holds what inspecting the presented chain needs.
type certCheck struct {
	certs       []*x509.Certificate // as presented, leaf first
	name        string              // host name (or IP) the leaf must be valid for
	roots       *x509.CertPool      // nil = system roots
	now         time.Time
	minDaysLeft int
	minRSABits  int
	maxValidity Days
}

// inspect judges the presented certificates and fills obs. Expiry is judged
// over every certificate the server sends (an intermediate that runs out
// first breaks the chain just the same); names, key and validity over the
// leaf; signature algorithms over every certificate that is not a
// self-signed root (a root's own signature is never checked by clients).
func (c certCheck) inspect(obs map[string]any, ps *problems) {
	leaf := c.certs[0]
	obs["subject"] = leaf.Subject.String()
	obs["issuer"] = leaf.Issuer.String()
	obs["sans"] = sans(leaf)
	obs["not_before"] = leaf.NotBefore.UTC()
	obs["signature_algorithm"] = leaf.SignatureAlgorithm.String()
	obs["key"] = keyText(leaf)
	validity := leaf.NotAfter.Sub(leaf.NotBefore)
	obs["validity_days"] = int(math.Ceil(validity.Hours() / 24))

	chain := make([]any, len(c.certs))
	first := 0
	for i, crt := range c.certs {
		chain[i] = map[string]any{
			"subject":   crt.Subject.String(),
			"issuer":    crt.Issuer.String(),
			"not_after": crt.NotAfter.UTC(),
			"days_left": daysLeft(crt.NotAfter.Sub(c.now)),
		}
		if crt.NotAfter.Before(c.certs[first].NotAfter) {
			first = i
		}
	}
	obs["chain"] = chain
	left := c.certs[first].NotAfter.Sub(c.now)
	obs["days_left"] = daysLeft(left)
	obs["expires_in"] = left
	obs["not_after"] = c.certs[first].NotAfter.UTC()
	obs["expires_first"] = c.label(first)

	// Dates first: they are the most common and most urgent problem.
	dated := false
	for i, crt := range c.certs {
		switch {
		case c.now.After(crt.NotAfter):
			ps.add("cert_expired", "%s expired %s ago (%s)", c.label(i), span(c.now.Sub(crt.NotAfter)), day(crt.NotAfter))
			dated = true
		case c.now.Before(crt.NotBefore):
			ps.add("cert_not_yet_valid", "%s is not valid until %s (in %s)", c.label(i), day(crt.NotBefore), span(crt.NotBefore.Sub(c.now)))
			dated = true
		}
	}

	// Trust is judged apart from dates: a date problem is already named
	// above, and x509 would stop at it and hide an untrusted issuer.
	at := c.now
	if dated {
		at = c.validWindow()
	}
	verifyErr := c.verify(at)
	obs["verified"] = verifyErr == nil && !dated
	if verifyErr != nil {
		var inv x509.CertificateInvalidError
		if !(dated && errors.As(verifyErr, &inv) && inv.Reason == x509.Expired) {
			ps.add("chain", "chain does not verify: %s", c.explain(verifyErr))
		}
	}

	hostErr := leaf.VerifyHostname(c.name)
	obs["hostname_ok"] = hostErr == nil
	if hostErr != nil {
		if names := leaf.DNSNames; len(names) > 0 || len(leaf.IPAddresses) > 0 {
			ps.add("hostname", "certificate is for %s, not %s", strings.Join(sanStrings(leaf), ", "), c.name)
		} else {
			ps.add("hostname", "certificate has no subject alternative names (subject %s), so it is not valid for %s", leaf.Subject, c.name)
		}
	}

	for i, crt := range c.certs {
		if left := crt.NotAfter.Sub(c.now); left >= 0 && !c.now.Before(crt.NotBefore) && left < time.Duration(c.minDaysLeft)*24*time.Hour {
			ps.add("cert_expiring", "%s expires in %s (%s), minimum is %d", c.label(i), span(left), day(crt.NotAfter), c.minDaysLeft)
		}
	}

	for i, crt := range c.certs {
		if selfSigned(crt) && i > 0 {
			continue
		}
		if weakSignature(crt.SignatureAlgorithm) {
			ps.add("weak_signature", "%s is signed with %s, which clients reject; reissue it signed with SHA-256 or better", c.label(i), crt.SignatureAlgorithm)
		}
	}
	for i, crt := range c.certs {
		if msg := c.weakKey(crt); msg != "" {
			ps.add("weak_key", "%s has %s", c.label(i), msg)
		}
	}

	if c.maxValidity > 0 && validity > c.maxValidity.Duration() {
		ps.add("validity", "%s is valid for %d days (%s to %s), max_validity is %d", c.label(0),
			int(math.Ceil(validity.Hours()/24)), day(leaf.NotBefore), day(leaf.NotAfter), c.maxValidity)
	}
}

// verify checks the chain the way a client would, but without the host
// name, which is judged separately so each problem is named on its own.
func (c certCheck) verify(at time.Time) error {
	inter := x509.NewCertPool()
	for _, crt := range c.certs[1:] {
		inter.AddCert(crt)
	}
	_, err := c.certs[0].Verify(x509.VerifyOptions{
		Roots:         c.roots,
		Intermediates: inter,
		CurrentTime:   at,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	return err
}

// validWindow is the earliest moment at which every presented certificate
// is within its dates, or now when there is none.
func (c certCheck) validWindow() time.Time {
	lo, hi := c.certs[0].NotBefore, c.certs[0].NotAfter
	for _, crt := range c.certs[1:] {
		if crt.NotBefore.After(lo) {
			lo = crt.NotBefore
		}
		if crt.NotAfter.Before(hi) {
			hi = crt.NotAfter
		}
	}
	if lo.After(hi) {
		return c.now
	}
	return lo
}

// explain turns an x509 verification error into words a person acts on.
func (c certCheck) explain(err error) string {
	leaf := c.certs[0]
	var ua x509.UnknownAuthorityError
	if errors.As(err, &ua) {
		if strings.Contains(err.Error(), "insecure algorithm") {
			return "a certificate in it is signed with an insecure algorithm"
		}
		trust := "is not a trusted CA; set ca_file if it is a private CA"
		if c.roots != nil {
			trust = "is not in ca_file"
		}
		var why string
		switch {
		case selfSigned(leaf) && len(c.certs) == 1:
			why = "the certificate is self-signed and " + strings.TrimPrefix(trust, "is ")
		default:
			why = fmt.Sprintf("issuer %q %s", issuerName(c.certs), trust)
		}
		return "unknown authority (" + why + ")"
	}
	var inv x509.CertificateInvalidError
	if errors.As(err, &inv) {
		switch inv.Reason {
		case x509.IncompatibleUsage:
			return "certificate is not valid for server authentication (extended key usage)"
		case x509.NotAuthorizedToSign:
			return "a certificate in the chain signs others but is not a CA"
		}
	}
	return strings.TrimPrefix(err.Error(), "x509: ")
}

// issuerName is the issuer of the last certificate presented: the CA the
// client would need to trust.
func issuerName(certs []*x509.Certificate) string {
	top := certs[len(certs)-1]
	return displayName(top.Issuer.String(), top.Issuer.CommonName)
}

// label names certificate i of the chain for a message.
func (c certCheck) label(i int) string {
	crt := c.certs[i]
	if i == 0 {
		if crt.VerifyHostname(c.name) == nil {
			return "certificate for " + c.name
		}
		if s := sanStrings(crt); len(s) > 0 {
			return "certificate for " + s[0]
		}
		return fmt.Sprintf("certificate %q", displayName(crt.Subject.String(), crt.Subject.CommonName))
	}
	kind := "intermediate"
	if selfSigned(crt) {
		kind = "root"
	}
	return fmt.Sprintf("%s certificate %q", kind, displayName(crt.Subject.String(), crt.Subject.CommonName))
}

func (c certCheck) weakKey(crt *x509.Certificate) string {
	switch k := crt.PublicKey.(type) {
	case *rsa.PublicKey:
		if bits := k.N.BitLen(); bits < c.minRSABits {
			return fmt.Sprintf("a %d-bit RSA key, minimum is %d", bits, c.minRSABits)
		}
	case *ecdsa.PublicKey:
		if bits := k.Curve.Params().BitSize; bits < 256 {
			return fmt.Sprintf("a %d-bit ECDSA key, minimum is 256", bits)
		}
	case *dsa.PublicKey:
		return "a DSA key, which clients no longer accept"
	}
	return ""
}

func keyText(crt *x509.Certificate) string {
	switch k := crt.PublicKey.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return crt.PublicKeyAlgorithm.String()
}

func weakSignature(a x509.SignatureAlgorithm) bool {
	switch a {
	case x509.MD2WithRSA, x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1, x509.DSAWithSHA256:
		return true
	}
	return false
}

func selfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawSubject, c.RawIssuer)
}

func sanStrings(c *x509.Certificate) []string {
	var out []string
	out = append(out, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		out = append(out, ip.String())
	}
	return out
}

func sans(c *x509.Certificate) []any {
	out := []any{}
	for _, s := range sanStrings(c) {
		out = append(out, s)
	}
	for _, e := range c.EmailAddresses {
		out = append(out, e)
	}
	for _, u := range c.URIs {
		out = append(out, u.String())
	}
	return out
}

func displayName(full, cn string) string {
	if cn != "" {
		return cn
	}
	return full
}

// daysLeft counts whole days, rounding down, so "13" never hides 13.9 days
// under a 14-day minimum. Negative once expired.
func daysLeft(d time.Duration) int {
	return int(math.Floor(d.Hours() / 24))
}

// span says a duration the way a person plans around it.
func span(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d.Hours()/24))
	case d >= time.Hour:
		return fmt.Sprintf("%d hours", int(d.Hours()))
	default:
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	}
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }
