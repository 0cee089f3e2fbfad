package tlscheck

import (
	"crypto/tls"
	"fmt"
	"strings"
)

// versions lists the protocol versions the probe can offer, oldest first.
// Go's client has no SSLv3, so it can neither offer nor forbid it.
var versions = []uint16{tls.VersionTLS10, tls.VersionTLS11, tls.VersionTLS12, tls.VersionTLS13}

// parseVersion accepts "TLS1.2", "TLS 1.2", "TLSv1.2", "tls1.2" and "1.2".
func parseVersion(s string) (uint16, bool) {
	n := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	n = strings.TrimPrefix(strings.TrimPrefix(n, "TLS"), "V")
	switch n {
	case "1.0", "1":
		return tls.VersionTLS10, true
	case "1.1":
		return tls.VersionTLS11, true
	case "1.2":
		return tls.VersionTLS12, true
	case "1.3":
		return tls.VersionTLS13, true
	}
	return 0, false
}

// versionKey is the observation form of a version: "TLS1.3" (contract).
func versionKey(v uint16) string {
	return strings.ReplaceAll(versionText(v), " ", "")
}

// versionText is the form people read in messages: "TLS 1.3".
func versionText(v uint16) string {
	switch v {
	case tls.VersionTLS10:
		return "TLS 1.0"
	case tls.VersionTLS11:
		return "TLS 1.1"
	case tls.VersionTLS12:
		return "TLS 1.2"
	case tls.VersionTLS13:
		return "TLS 1.3"
	case tls.VersionSSL30: //nolint:staticcheck // only named, never offered
		return "SSL 3.0"
	}
	return fmt.Sprintf("0x%04X", v)
}

// allSuites is every TLS 1.0-1.2 suite Go implements, secure and insecure.
// The first handshake offers all of them so that a legacy server can still
// be inspected; what it picks is reported and judged.
func allSuites() []uint16 {
	var ids []uint16
	for _, s := range tls.CipherSuites() {
		ids = append(ids, s.ID)
	}
	for _, s := range tls.InsecureCipherSuites() {
		ids = append(ids, s.ID)
	}
	return ids
}

// Cipher policies: which TLS 1.0-1.2 suites count as weak.
const (
	// policyInsecure: the suites crypto/tls itself classifies as insecure
	// (tls.InsecureCipherSuites): RC4, 3DES, static RSA key exchange, and
	// CBC with a SHA-256 MAC. No mainstream client needs them.
	policyInsecure = "insecure"
	// policyStrict: also every other CBC suite, leaving ECDHE with AES-GCM
	// or ChaCha20-Poly1305 only, which is Mozilla's "intermediate" profile.
	// Default server configurations (Go's, older nginx/OpenSSL ones) still
	// offer ECDHE-CBC-SHA, so this is opt-in.
	policyStrict = "strict"
	policyOff    = "off"
)

// weakness says in a few words why a suite is weak: RC4 (biased
// keystream), 3DES (64-bit blocks, Sweet32), CBC (padding-oracle and
// Lucky13 families), RSA key exchange (no forward secrecy).
func weakness(name string) string {
	var why []string
	if strings.HasPrefix(name, "TLS_RSA_") {
		why = append(why, "RSA key exchange")
	}
	switch {
	case strings.Contains(name, "_RC4_"):
		why = append(why, "RC4")
	case strings.Contains(name, "_3DES_"):
		why = append(why, "3DES")
	case strings.Contains(name, "_CBC_"):
		why = append(why, "CBC")
	}
	return strings.Join(why, ", ")
}

// weakSuites returns the suites policy calls weak, minus the allowed ones.
func weakSuites(policy string, allow map[string]bool) []*tls.CipherSuite {
	var out []*tls.CipherSuite
	for _, s := range tls.InsecureCipherSuites() {
		if !allow[s.Name] {
			out = append(out, s)
		}
	}
	if policy == policyStrict {
		for _, s := range tls.CipherSuites() {
			if weakness(s.Name) != "" && !allow[s.Name] {
				out = append(out, s)
			}
		}
	}
	return out
}

// knownSuite reports whether name is a TLS 1.0-1.2 suite Go implements.
func knownSuite(name string) bool {
	for _, list := range [][]*tls.CipherSuite{tls.CipherSuites(), tls.InsecureCipherSuites()} {
		for _, s := range list {
			if s.Name == name {
				return true
			}
		}
	}
	return false
}
