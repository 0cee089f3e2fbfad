package tlscheck

import "github.com/readyctl/readyctl/checks"

// observations are what `expect:` can use, type-checked at load.
var observations = []checks.Observation{
	{Name: "address", Type: checks.TypeString, Doc: "host:port connected to"},
	{Name: "server_name", Type: checks.TypeString, Doc: "name sent as SNI and verified"},
	{Name: "days_left", Type: checks.TypeInt, Doc: "whole days until the first certificate of the chain expires", Key: true},
	{Name: "expires_in", Type: checks.TypeDuration, Doc: "time until the first certificate of the chain expires"},
	{Name: "expires_first", Type: checks.TypeString, Doc: "which certificate expires first"},
	{Name: "not_after", Type: checks.TypeTime, Doc: "expiry of the first certificate to expire"},
	{Name: "not_before", Type: checks.TypeTime, Doc: "start of the leaf certificate's validity"},
	{Name: "validity_days", Type: checks.TypeInt, Doc: "length of the leaf certificate's validity in days"},
	{Name: "version", Type: checks.TypeString, Doc: `negotiated protocol, e.g. "TLS1.3"`, Key: true},
	{Name: "cipher", Type: checks.TypeString, Doc: "negotiated cipher suite"},
	{Name: "verified", Type: checks.TypeBool, Doc: "the chain verifies against the trusted roots, in date", Key: true},
	{Name: "hostname_ok", Type: checks.TypeBool, Doc: "the leaf certificate is valid for server_name", Key: true},
	{Name: "subject", Type: checks.TypeString, Doc: "leaf certificate subject"},
	{Name: "issuer", Type: checks.TypeString, Doc: "leaf certificate issuer"},
	{Name: "sans", Type: checks.TypeList, Doc: "leaf certificate subject alternative names"},
	{Name: "signature_algorithm", Type: checks.TypeString, Doc: "leaf certificate signature algorithm"},
	{Name: "key", Type: checks.TypeString, Doc: `leaf public key, e.g. "ECDSA P-256"`},
	{Name: "chain", Type: checks.TypeList, Doc: "certificates presented ({subject, issuer, not_after, days_left})"},
	{Name: "ocsp_stapled", Type: checks.TypeBool, Doc: "the server stapled an OCSP response"},
	{Name: "ocsp_status", Type: checks.TypeString, Doc: `stapled OCSP status: "good", "revoked" or "unknown", nil without a staple`},
	{Name: "accepted_forbidden_versions", Type: checks.TypeList, Doc: "with forbid_versions: the forbidden versions the server accepted"},
	{Name: "weak_ciphers", Type: checks.TypeList, Doc: "weak cipher suites the server accepted, nil when not checked"},
}
