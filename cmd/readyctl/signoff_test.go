package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/readyctl/readyctl/internal/signoff"
	"github.com/readyctl/readyctl/internal/testsvc"
)

// signoffSetup writes a checklist of n manual items, an ed25519 key and an
// allowed_signers file naming it for ada@example.com.
func signoffSetup(t *testing.T, n int) (dir, checklist, key string) {
	t.Helper()
	dir = t.TempDir()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "ada")
	if err != nil {
		t.Fatal(err)
	}
	key = filepath.Join(dir, "id_ed25519")
	os.WriteFile(key, pem.EncodeToMemory(block), 0o600)
	s, _ := ssh.NewSignerFromKey(priv)
	os.WriteFile(filepath.Join(dir, "allowed_signers"), []byte("ada@example.com "+string(ssh.MarshalAuthorizedKey(s.PublicKey()))), 0o644)
	var b strings.Builder
	b.WriteString("version: 1\nname: many\nsignoff:\n  roles: [{id: qa-lead}]\n  allowed_signers: allowed_signers\nsections:\n  - id: s\n    items:\n")
	for i := range n {
		fmt.Fprintf(&b, "      - id: item-%02d\n        manual: {roles: [qa-lead]}\n", i)
	}
	checklist = filepath.Join(dir, "checklist.yaml")
	os.WriteFile(checklist, []byte(b.String()), 0o644)
	return dir, checklist, key
}

func readyctlCmd(bin, dir string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+filepath.Join(dir, ".config"), "NO_COLOR=1", "GITHUB_ACTOR=", "SSH_AUTH_SOCK=")
	return cmd
}

// TestConcurrentSignoffs (acceptance 3): 20 readyctl processes started at
// once, each signing another item, leave 20 valid signed records, nothing
// half-written, and a ready checklist.
func TestConcurrentSignoffs(t *testing.T) {
	const n = 20
	bin := readyctlBinary(t)
	dir, cl, key := signoffSetup(t, n)
	cmds := make([]*exec.Cmd, n)
	outs := make([]*bytes.Buffer, n)
	for i := range n {
		cmds[i] = readyctlCmd(bin, dir, "signoff", fmt.Sprintf("item-%02d", i), "-f", cl,
			"--name", "Ada Lovelace", "--email", "ada@example.com", "--key", key, "--note", fmt.Sprintf("process %d", i))
		outs[i] = &bytes.Buffer{}
		cmds[i].Stdout, cmds[i].Stderr = outs[i], outs[i]
	}
	// Start them all before waiting for any.
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			errs[i] = cmds[i].Run()
		}(i)
	}
	began := time.Now()
	close(start)
	wg.Wait()
	t.Logf("%d concurrent signoffs took %s", n, time.Since(began).Round(time.Millisecond))
	for i, err := range errs {
		if err != nil {
			t.Errorf("process %d: %v\n%s", i, err, outs[i])
		}
	}

	recDir := filepath.Join(dir, ".readyctl", "signoffs")
	des, err := os.ReadDir(recDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(des) != n {
		var names []string
		for _, de := range des {
			names = append(names, de.Name())
		}
		t.Fatalf("%d files in %s, want %d records and nothing else: %v", len(des), recDir, n, names)
	}

	out, err := readyctlCmd(bin, dir, "signoffs", "verify", "-f", cl, "--format", "json").Output()
	if err != nil {
		t.Fatalf("signoffs verify: %v\n%s", err, out)
	}
	var rows []struct{ Item, State, Key, Note string }
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range rows {
		if r.State != signoff.Valid || r.Key == "" {
			t.Errorf("record %+v is not valid and signed", r)
		}
		seen[r.Item] = true
	}
	if len(rows) != n || len(seen) != n {
		t.Errorf("%d records for %d items, want %d each", len(rows), len(seen), n)
	}
	if out, err := readyctlCmd(bin, dir, "check", "-f", cl).CombinedOutput(); err != nil {
		t.Errorf("check after %d sign-offs: %v\n%s", n, err, out)
	}
}

// TestSSHKeygenVerifiesRecord (acceptance 4, end to end): the record file
// `readyctl signoff --key` writes verifies with ssh-keygen -Y verify, over
// the bytes `readyctl signoffs payload` prints; an edited record does not.
func TestSSHKeygenVerifiesRecord(t *testing.T) {
	keygen := testsvc.Binary(t, "ssh-keygen")
	bin := readyctlBinary(t)
	dir, cl, key := signoffSetup(t, 1)
	out, err := readyctlCmd(bin, dir, "signoff", "item-00", "-f", cl, "--name", "Ada", "--email", "ada@example.com", "--key", key).CombinedOutput()
	if err != nil {
		t.Fatalf("signoff: %v\n%s", err, out)
	}
	matches, _ := filepath.Glob(filepath.Join(dir, ".readyctl", "signoffs", "*.json"))
	if len(matches) != 1 {
		t.Fatalf("records: %v", matches)
	}
	msg, err := readyctlCmd(bin, dir, "signoffs", "payload", matches[0]).Output()
	if err != nil {
		t.Fatal(err)
	}
	sig, err := readyctlCmd(bin, dir, "signoffs", "payload", "--signature", matches[0]).Output()
	if err != nil {
		t.Fatal(err)
	}
	sigPath := filepath.Join(dir, "record.sig")
	os.WriteFile(sigPath, sig, 0o644)
	verify := func(message []byte) (string, error) {
		cmd := exec.Command(keygen, "-Y", "verify", "-f", filepath.Join(dir, "allowed_signers"), "-I", "ada@example.com", "-n", "readyctl", "-s", sigPath)
		cmd.Stdin = bytes.NewReader(message)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := verify(msg); err != nil || !strings.Contains(out, `Good "readyctl" signature for ada@example.com`) {
		t.Fatalf("ssh-keygen -Y verify: %v\n%s", err, out)
	}
	// The payload is the record as it stands in the file, byte for byte.
	file, _ := os.ReadFile(matches[0])
	if !bytes.Contains(file, msg) || !bytes.HasPrefix(msg, []byte("{\n    \"schema\": \"readyctl.signoff/v1\"")) {
		t.Errorf("payload is not the file's record bytes:\n%s", msg)
	}
	if out, err := verify(bytes.Replace(msg, []byte(`"Ada"`), []byte(`"Adb"`), 1)); err == nil {
		t.Errorf("ssh-keygen accepted an edited record: %s", out)
	}
}
