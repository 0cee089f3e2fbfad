package signoff

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// KeyOptions say where a signing key comes from.
type KeyOptions struct {
	// AgentSocket is $SSH_AUTH_SOCK ("" = no agent).
	AgentSocket string
	// Passphrase is asked for an encrypted private key; nil = refuse
	// (no terminal to ask on).
	Passphrase func() ([]byte, error)
}

// LoadSigner returns the signer that --key names:
//   - "agent": the one key in ssh-agent;
//   - a public key file (KEY.pub): that key, held by ssh-agent;
//   - a private key file: OpenSSH (ed25519, ecdsa, rsa) or PKCS#8 PEM
//     (ed25519), asking for the passphrase when it is encrypted.
//
// The returned function releases the agent connection, if any.
func LoadSigner(spec string, o KeyOptions) (ssh.Signer, func(), error) {
	noop := func() {}
	if spec == "agent" {
		return agentSigner(o.AgentSocket, nil)
	}
	data, err := os.ReadFile(spec)
	if err != nil {
		return nil, noop, fmt.Errorf("--key: %w", err)
	}
	if pub, _, _, _, err := ssh.ParseAuthorizedKey(data); err == nil {
		return agentSigner(o.AgentSocket, pub)
	}
	raw, err := ssh.ParseRawPrivateKey(data)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		if o.Passphrase == nil {
			return nil, noop, fmt.Errorf("--key %s is encrypted and there is no terminal to ask for its passphrase: add it to ssh-agent and pass --key %s.pub (or --key agent)", spec, spec)
		}
		pass, perr := o.Passphrase()
		if perr != nil {
			return nil, noop, perr
		}
		raw, err = ssh.ParseRawPrivateKeyWithPassphrase(data, pass)
	}
	if err != nil {
		return nil, noop, fmt.Errorf("--key %s: not a private key readyctl can use (OpenSSH or PKCS#8 ed25519): %w", spec, err)
	}
	s, err := ssh.NewSignerFromKey(raw)
	if err != nil {
		return nil, noop, fmt.Errorf("--key %s: %w", spec, err)
	}
	return s, noop, nil
}

// agentSigner finds want (nil: the only key) in the ssh-agent at sock.
func agentSigner(sock string, want ssh.PublicKey) (ssh.Signer, func(), error) {
	noop := func() {}
	if sock == "" {
		return nil, noop, errors.New("--key names an ssh-agent key, but SSH_AUTH_SOCK is not set: start ssh-agent, or pass a private key file")
	}
	conn, err := net.Dial("unix", sock)
	if err != nil {
		return nil, noop, fmt.Errorf("ssh-agent at %s: %w", sock, err)
	}
	closeConn := func() { conn.Close() }
	signers, err := agent.NewClient(conn).Signers()
	if err != nil {
		closeConn()
		return nil, noop, fmt.Errorf("ssh-agent: %w", err)
	}
	var prints []string
	for _, s := range signers {
		if want != nil && bytes.Equal(s.PublicKey().Marshal(), want.Marshal()) {
			return s, closeConn, nil
		}
		prints = append(prints, ssh.FingerprintSHA256(s.PublicKey()))
	}
	if want == nil && len(signers) == 1 {
		return signers[0], closeConn, nil
	}
	closeConn()
	switch {
	case want != nil:
		return nil, noop, fmt.Errorf("ssh-agent does not hold the key %s (it holds: %s); ssh-add it first", ssh.FingerprintSHA256(want), orNone(prints))
	case len(signers) == 0:
		return nil, noop, errors.New("ssh-agent holds no keys: ssh-add one first")
	default:
		return nil, noop, fmt.Errorf("ssh-agent holds %d keys (%s): pass --key KEY.pub to choose one", len(signers), strings.Join(prints, ", "))
	}
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "no keys"
	}
	return strings.Join(s, ", ")
}
