package tlscheck

import (
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/ocsp"
)

// staple is what a stapled OCSP response says about the leaf.
type staple struct {
	status     string // "good", "revoked", "unknown"
	revokedAt  time.Time
	nextUpdate time.Time // zero when the responder gave none
}

// parseStaple reads the response about leaf from a stapled OCSP response
// and verifies the responder's signature with the leaf's issuer (directly
// or through a responder certificate the issuer signed): a staple anyone
// could have forged says nothing.
func parseStaple(der []byte, leaf, issuer *x509.Certificate) (staple, error) {
	// First without the issuer, to tell a malformed or foreign staple from
	// a forged one.
	r, err := ocsp.ParseResponseForCert(der, leaf, nil)
	if err != nil {
		var re ocsp.ResponseError
		switch {
		case errors.As(err, &re):
			return staple{}, fmt.Errorf("the responder answered %s", re.Status)
		case strings.Contains(err.Error(), "no response matching the supplied certificate"):
			return staple{}, fmt.Errorf("it is about another certificate, not the leaf (serial %X)", leaf.SerialNumber)
		}
		return staple{}, fmt.Errorf("its %d bytes are not a DER OCSP response", len(der))
	}
	if issuer == nil {
		return staple{}, errors.New("its signature cannot be verified: the issuer of the certificate is neither sent by the server nor among the trusted roots")
	}
	if _, err := ocsp.ParseResponseForCert(der, leaf, issuer); err != nil {
		return staple{}, fmt.Errorf("the responder's signature does not verify with the issuer %q: %v", issuer.Subject.CommonName, err)
	}
	s := staple{nextUpdate: r.NextUpdate}
	switch r.Status {
	case ocsp.Good:
		s.status = "good"
	case ocsp.Revoked:
		s.status = "revoked"
		s.revokedAt = r.RevokedAt
	default:
		s.status = "unknown"
	}
	return s, nil
}

// issuerOf finds the certificate that signed leaf: in the chain the server
// sent, else by building a chain to roots.
func issuerOf(certs []*x509.Certificate, roots *x509.CertPool) *x509.Certificate {
	leaf := certs[0]
	for _, c := range certs[1:] {
		if leaf.CheckSignatureFrom(c) == nil {
			return c
		}
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	// The staple is judged even when the certificate is expired or for
	// another name: those have their own problems.
	chains, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: leaf.NotBefore.Add(time.Second),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err != nil || len(chains) == 0 || len(chains[0]) < 2 {
		return nil
	}
	return chains[0][1]
}
