package signoff

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/readyctl/readyctl/internal/testsvc"
)

// testKey is a private key of each kind readyctl signs with.
type testKey struct {
	name string
	priv any
}

func testKeys(t *testing.T) []testKey {
	t.Helper()
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return []testKey{{"ed25519", ed}, {"ecdsa", ec}, {"rsa", rk}}
}

func signerOf(t *testing.T, priv any) ssh.Signer {
	t.Helper()
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// writeKey writes priv as an OpenSSH private key file (and KEY.pub).
func writeKey(t *testing.T, dir, name string, priv any) string {
	t.Helper()
	block, err := ssh.MarshalPrivateKey(priv, name)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p+".pub", ssh.MarshalAuthorizedKey(signerOf(t, priv).PublicKey()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSSHSigRoundTrip(t *testing.T) {
	msg := []byte(`{"schema":"readyctl.signoff/v1","name":"Alice"}`)
	for _, k := range testKeys(t) {
		t.Run(k.name, func(t *testing.T) {
			armored, err := SignSSH(signerOf(t, k.priv), Namespace, msg)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(armored), "-----BEGIN SSH SIGNATURE-----\n") || !strings.HasSuffix(string(armored), "-----END SSH SIGNATURE-----\n") {
				t.Errorf("not armored:\n%s", armored)
			}
			sig, err := ParseSSHSignature(armored)
			if err != nil {
				t.Fatal(err)
			}
			if err := sig.Verify(Namespace, msg); err != nil {
				t.Errorf("verify: %v", err)
			}
			edited := append([]byte{}, msg...)
			edited[len(edited)-3] ^= 1
			if err := sig.Verify(Namespace, edited); err == nil {
				t.Error("a one-byte edit verified")
			}
			if err := sig.Verify("git", msg); err == nil {
				t.Error("verified in another namespace")
			}
			if k.name == "rsa" && sig.Signature.Format != ssh.KeyAlgoRSASHA512 {
				t.Errorf("rsa signature format %s, want rsa-sha2-512", sig.Signature.Format)
			}
		})
	}
}

// TestSSHKeygenVerifiesReadyctl (acceptance 4): what readyctl signs,
// `ssh-keygen -Y verify -n readyctl` accepts; and what ssh-keygen signs,
// readyctl accepts.
func TestSSHKeygenVerifiesReadyctl(t *testing.T) {
	keygen := testsvc.Binary(t, "ssh-keygen")
	dir := t.TempDir()
	msgPath := filepath.Join(dir, "record.json")
	msg := []byte("{\n  \"schema\": \"readyctl.signoff/v1\",\n  \"name\": \"Alice\"\n}")
	if err := os.WriteFile(msgPath, msg, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, k := range testKeys(t) {
		t.Run(k.name, func(t *testing.T) {
			s := signerOf(t, k.priv)
			allowed := filepath.Join(dir, k.name+".allowed")
			os.WriteFile(allowed, []byte(`alice@example.com namespaces="readyctl" `+string(ssh.MarshalAuthorizedKey(s.PublicKey()))), 0o644)
			armored, err := SignSSH(s, Namespace, msg)
			if err != nil {
				t.Fatal(err)
			}
			sigPath := filepath.Join(dir, k.name+".sig")
			os.WriteFile(sigPath, armored, 0o644)
			verify := func(ns string, in []byte) (string, error) {
				cmd := exec.Command(keygen, "-Y", "verify", "-f", allowed, "-I", "alice@example.com", "-n", ns, "-s", sigPath)
				cmd.Stdin = strings.NewReader(string(in))
				out, err := cmd.CombinedOutput()
				return string(out), err
			}
			if out, err := verify("readyctl", msg); err != nil {
				t.Fatalf("ssh-keygen -Y verify rejected readyctl's signature: %v\n%s", err, out)
			} else if !strings.Contains(out, `Good "readyctl" signature for alice@example.com`) {
				t.Errorf("ssh-keygen said: %s", out)
			}
			// The negative side: ssh-keygen must also reject an edited record.
			edited := append([]byte{}, msg...)
			edited[5] ^= 1
			if out, err := verify("readyctl", edited); err == nil {
				t.Errorf("ssh-keygen accepted an edited record: %s", out)
			}

			// And the reverse: ssh-keygen -Y sign, readyctl verifies.
			keyPath := writeKey(t, dir, k.name+"-key", k.priv)
			cmd := exec.Command(keygen, "-Y", "sign", "-f", keyPath, "-n", "readyctl", msgPath)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("ssh-keygen -Y sign: %v\n%s", err, out)
			}
			theirs, err := os.ReadFile(msgPath + ".sig")
			if err != nil {
				t.Fatal(err)
			}
			os.Remove(msgPath + ".sig")
			sig, err := ParseSSHSignature(theirs)
			if err != nil {
				t.Fatal(err)
			}
			if err := sig.Verify(Namespace, msg); err != nil {
				t.Errorf("readyctl rejected ssh-keygen's signature: %v", err)
			}
		})
	}
}

func TestLoadSigner(t *testing.T) {
	dir := t.TempDir()
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	keyPath := writeKey(t, dir, "id_ed25519", ed)
	want := ssh.FingerprintSHA256(signerOf(t, ed).PublicKey())

	t.Run("openssh file", func(t *testing.T) {
		s, done, err := LoadSigner(keyPath, KeyOptions{})
		defer done()
		if err != nil || ssh.FingerprintSHA256(s.PublicKey()) != want {
			t.Fatalf("%v", err)
		}
	})
	t.Run("pkcs8 ed25519", func(t *testing.T) {
		der, err := x509.MarshalPKCS8PrivateKey(ed)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "ed.pem")
		os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
		s, done, err := LoadSigner(p, KeyOptions{})
		defer done()
		if err != nil || ssh.FingerprintSHA256(s.PublicKey()) != want {
			t.Fatalf("%v", err)
		}
	})
	t.Run("encrypted without terminal", func(t *testing.T) {
		block, _ := ssh.MarshalPrivateKeyWithPassphrase(ed, "", []byte("secret"))
		p := filepath.Join(dir, "enc")
		os.WriteFile(p, pem.EncodeToMemory(block), 0o600)
		_, done, err := LoadSigner(p, KeyOptions{})
		done()
		if err == nil || !strings.Contains(err.Error(), "ssh-agent") {
			t.Fatalf("err %v, want advice to use ssh-agent", err)
		}
		s, done, err := LoadSigner(p, KeyOptions{Passphrase: func() ([]byte, error) { return []byte("secret"), nil }})
		defer done()
		if err != nil || ssh.FingerprintSHA256(s.PublicKey()) != want {
			t.Fatalf("with passphrase: %v", err)
		}
	})
	t.Run("agent", func(t *testing.T) {
		sock := testsvc.SSHAgent(t)
		if _, _, err := LoadSigner("agent", KeyOptions{AgentSocket: sock}); err == nil || !strings.Contains(err.Error(), "no keys") {
			t.Fatalf("empty agent: %v", err)
		}
		conn, err := net.Dial("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if err := agent.NewClient(conn).Add(agent.AddedKey{PrivateKey: ed}); err != nil {
			t.Fatal(err)
		}
		for _, spec := range []string{"agent", keyPath + ".pub"} {
			s, done, err := LoadSigner(spec, KeyOptions{AgentSocket: sock})
			if err != nil {
				t.Fatalf("%s: %v", spec, err)
			}
			armored, err := SignSSH(s, Namespace, []byte("m"))
			done()
			if err != nil {
				t.Fatalf("%s: sign: %v", spec, err)
			}
			sig, _ := ParseSSHSignature(armored)
			if err := sig.Verify(Namespace, []byte("m")); err != nil || ssh.FingerprintSHA256(sig.PublicKey) != want {
				t.Errorf("%s: %v", spec, err)
			}
		}
		_, other, _ := ed25519.GenerateKey(rand.Reader)
		otherPath := writeKey(t, dir, "other", other)
		if _, _, err := LoadSigner(otherPath+".pub", KeyOptions{AgentSocket: sock}); err == nil || !strings.Contains(err.Error(), "does not hold") {
			t.Errorf("key not in agent: %v", err)
		}
		if _, _, err := LoadSigner("agent", KeyOptions{}); err == nil || !strings.Contains(err.Error(), "SSH_AUTH_SOCK") {
			t.Errorf("no agent: %v", err)
		}
	})
}
