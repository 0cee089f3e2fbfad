package signoff

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
)

// The sshsig format, as OpenSSH's PROTOCOL.sshsig defines it, so that
// `ssh-keygen -Y verify -n readyctl` and readyctl check each other's
// signatures.
const (
	sigMagic     = "SSHSIG"
	sigVersion   = 1
	sigHash      = "sha512"
	armorBegin   = "-----BEGIN SSH SIGNATURE-----"
	armorEnd     = "-----END SSH SIGNATURE-----"
	armorColumns = 70 // as ssh-keygen wraps
)

// SSHSignature is a parsed sshsig signature.
type SSHSignature struct {
	PublicKey     ssh.PublicKey
	Namespace     string
	HashAlgorithm string
	Signature     *ssh.Signature
}

// SignSSH signs message in namespace and returns the armored signature.
// RSA keys sign with rsa-sha2-512, as sshsig requires (never SHA-1).
func SignSSH(signer ssh.Signer, namespace string, message []byte) ([]byte, error) {
	data := signedData(namespace, sigHash, message)
	var sig *ssh.Signature
	var err error
	if signer.PublicKey().Type() == ssh.KeyAlgoRSA {
		as, ok := signer.(ssh.AlgorithmSigner)
		if !ok {
			return nil, errors.New("this RSA key cannot sign with rsa-sha2-512")
		}
		sig, err = as.SignWithAlgorithm(rand.Reader, data, ssh.KeyAlgoRSASHA512)
	} else {
		sig, err = signer.Sign(rand.Reader, data)
	}
	if err != nil {
		return nil, err
	}
	var blob bytes.Buffer
	blob.WriteString(sigMagic)
	binary.Write(&blob, binary.BigEndian, uint32(sigVersion))
	putString(&blob, signer.PublicKey().Marshal())
	putString(&blob, []byte(namespace))
	putString(&blob, nil) // reserved
	putString(&blob, []byte(sigHash))
	putString(&blob, ssh.Marshal(sig))
	return armor(blob.Bytes()), nil
}

// ParseSSHSignature reads an armored sshsig signature.
func ParseSSHSignature(armored []byte) (*SSHSignature, error) {
	s := strings.TrimSpace(string(armored))
	body, ok := strings.CutPrefix(s, armorBegin)
	if !ok {
		return nil, errors.New("not an SSH signature (no " + armorBegin + ")")
	}
	body, ok = strings.CutSuffix(body, armorEnd)
	if !ok {
		return nil, errors.New("truncated SSH signature (no " + armorEnd + ")")
	}
	blob, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(body), ""))
	if err != nil {
		return nil, fmt.Errorf("SSH signature: %w", err)
	}
	if !bytes.HasPrefix(blob, []byte(sigMagic)) {
		return nil, errors.New("SSH signature: bad magic")
	}
	rest := blob[len(sigMagic):]
	if len(rest) < 4 {
		return nil, errors.New("SSH signature: truncated")
	}
	if v := binary.BigEndian.Uint32(rest); v != sigVersion {
		return nil, fmt.Errorf("SSH signature: version %d, expected %d", v, sigVersion)
	}
	rest = rest[4:]
	var fields [5][]byte
	for i := range fields {
		if fields[i], rest, ok = getString(rest); !ok {
			return nil, errors.New("SSH signature: truncated")
		}
	}
	if len(rest) != 0 {
		return nil, errors.New("SSH signature: trailing data")
	}
	pub, err := ssh.ParsePublicKey(fields[0])
	if err != nil {
		return nil, fmt.Errorf("SSH signature: public key: %w", err)
	}
	var sig ssh.Signature
	if err := ssh.Unmarshal(fields[4], &sig); err != nil {
		return nil, fmt.Errorf("SSH signature: %w", err)
	}
	return &SSHSignature{PublicKey: pub, Namespace: string(fields[1]), HashAlgorithm: string(fields[3]), Signature: &sig}, nil
}

// Verify checks the signature over message, in namespace.
func (s *SSHSignature) Verify(namespace string, message []byte) error {
	if s.Namespace != namespace {
		return fmt.Errorf("signature is for namespace %q, not %q", s.Namespace, namespace)
	}
	if s.HashAlgorithm != "sha512" && s.HashAlgorithm != "sha256" {
		return fmt.Errorf("signature uses hash %q: expected sha512 or sha256", s.HashAlgorithm)
	}
	if s.Signature.Format == ssh.KeyAlgoRSA {
		return errors.New("signature uses ssh-rsa (SHA-1), which sshsig does not accept")
	}
	if err := s.PublicKey.Verify(signedData(s.Namespace, s.HashAlgorithm, message), s.Signature); err != nil {
		return errors.New("signature does not match the record: edited after signing, or not signed over it")
	}
	return nil
}

// signedData is what the key actually signs: the message's hash framed
// with the magic, the namespace and the hash's name.
func signedData(namespace, hash string, message []byte) []byte {
	var h []byte
	if hash == "sha256" {
		s := sha256.Sum256(message)
		h = s[:]
	} else {
		s := sha512.Sum512(message)
		h = s[:]
	}
	var b bytes.Buffer
	b.WriteString(sigMagic)
	putString(&b, []byte(namespace))
	putString(&b, nil) // reserved
	putString(&b, []byte(hash))
	putString(&b, h)
	return b.Bytes()
}

func armor(blob []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(blob)
	var b bytes.Buffer
	b.WriteString(armorBegin + "\n")
	for len(enc) > armorColumns {
		b.WriteString(enc[:armorColumns] + "\n")
		enc = enc[armorColumns:]
	}
	b.WriteString(enc + "\n" + armorEnd + "\n")
	return b.Bytes()
}

func putString(b *bytes.Buffer, s []byte) {
	binary.Write(b, binary.BigEndian, uint32(len(s)))
	b.Write(s)
}

func getString(in []byte) (s, rest []byte, ok bool) {
	if len(in) < 4 {
		return nil, nil, false
	}
	n := binary.BigEndian.Uint32(in)
	if uint64(n) > uint64(len(in)-4) {
		return nil, nil, false
	}
	return in[4 : 4+n], in[4+n:], true
}
