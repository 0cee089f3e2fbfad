package tlscheck

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// The OCSP response structures of RFC 6960, just deep enough to read the
// status of the leaf certificate from a stapled response. The responder's
// signature is not verified here (the standard library has no OCSP
// verifier); clients that honour staples do verify it. What this catches is
// what an operator can act on: no staple, a staple saying "revoked" or
// "unknown", and a stale staple the server keeps serving.

type ocspResponse struct {
	Status   asn1.Enumerated
	Response ocspResponseBytes `asn1:"explicit,tag:0,optional"`
}

type ocspResponseBytes struct {
	ResponseType asn1.ObjectIdentifier
	Response     []byte
}

type ocspBasicResponse struct {
	TBSResponseData    ocspResponseData
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          asn1.BitString
	Certificates       []asn1.RawValue `asn1:"explicit,tag:0,optional"`
}

type ocspResponseData struct {
	Raw            asn1.RawContent
	Version        int `asn1:"optional,default:0,explicit,tag:0"`
	RawResponderID asn1.RawValue
	ProducedAt     time.Time `asn1:"generalized"`
	Responses      []ocspSingleResponse
}

type ocspCertID struct {
	HashAlgorithm pkix.AlgorithmIdentifier
	NameHash      []byte
	IssuerKeyHash []byte
	SerialNumber  *big.Int
}

type ocspRevokedInfo struct {
	RevocationTime time.Time       `asn1:"generalized"`
	Reason         asn1.Enumerated `asn1:"explicit,tag:0,optional"`
}

type ocspSingleResponse struct {
	CertID     ocspCertID
	Good       asn1.Flag       `asn1:"tag:0,optional"`
	Revoked    ocspRevokedInfo `asn1:"tag:1,optional"`
	Unknown    asn1.Flag       `asn1:"tag:2,optional"`
	ThisUpdate time.Time       `asn1:"generalized"`
	NextUpdate time.Time       `asn1:"generalized,explicit,tag:0,optional"`
}

var oidOCSPBasic = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 1}

// staple is what a stapled OCSP response says about the leaf.
type staple struct {
	status     string // "good", "revoked", "unknown"
	revokedAt  time.Time
	nextUpdate time.Time // zero when the responder gave none
}

var ocspStatusNames = map[asn1.Enumerated]string{
	1: "malformedRequest", 2: "internalError", 3: "tryLater", 5: "sigRequired", 6: "unauthorized",
}

// parseStaple reads the single response about leaf from a stapled OCSP
// response.
func parseStaple(der []byte, leaf *x509.Certificate) (staple, error) {
	var resp ocspResponse
	if rest, err := asn1.Unmarshal(der, &resp); err != nil || len(rest) > 0 {
		return staple{}, fmt.Errorf("its %d bytes are not a DER OCSP response", len(der))
	}
	if resp.Status != 0 {
		name := ocspStatusNames[resp.Status]
		if name == "" {
			name = fmt.Sprintf("status %d", resp.Status)
		}
		return staple{}, fmt.Errorf("the responder answered %s", name)
	}
	if !resp.Response.ResponseType.Equal(oidOCSPBasic) {
		return staple{}, fmt.Errorf("unsupported OCSP response type %v", resp.Response.ResponseType)
	}
	var basic ocspBasicResponse
	if _, err := asn1.Unmarshal(resp.Response.Response, &basic); err != nil {
		return staple{}, errors.New("malformed OCSP basic response")
	}
	for _, r := range basic.TBSResponseData.Responses {
		if r.CertID.SerialNumber == nil || r.CertID.SerialNumber.Cmp(leaf.SerialNumber) != 0 {
			continue
		}
		s := staple{nextUpdate: r.NextUpdate}
		switch {
		case bool(r.Good):
			s.status = "good"
		case bool(r.Unknown):
			s.status = "unknown"
		case !r.Revoked.RevocationTime.IsZero():
			s.status = "revoked"
			s.revokedAt = r.Revoked.RevocationTime
		default:
			return staple{}, errors.New("malformed OCSP response: no certificate status")
		}
		return s, nil
	}
	return staple{}, fmt.Errorf("it is about another certificate, not the leaf (serial %X)", leaf.SerialNumber)
}
