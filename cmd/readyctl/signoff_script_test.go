package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/crypto/ssh"
)

// keygen NAME writes a new ed25519 key as NAME (OpenSSH private key, the
// format ssh-keygen writes) and NAME.pub.
func cmdKeygen(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: keygen NAME")
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	ts.Check(err)
	block, err := ssh.MarshalPrivateKey(priv, args[0])
	ts.Check(err)
	signer, err := ssh.NewSignerFromKey(priv)
	ts.Check(err)
	p := ts.MkAbs(args[0])
	ts.Check(os.WriteFile(p, pem.EncodeToMemory(block), 0o600))
	ts.Check(os.WriteFile(p+".pub", ssh.MarshalAuthorizedKey(signer.PublicKey()), 0o644))
}

// allowsigner FILE PRINCIPAL KEY.pub appends an allowed_signers line.
func cmdAllowSigner(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: allowsigner FILE PRINCIPAL KEY.pub")
	}
	pub := strings.TrimSpace(ts.ReadFile(args[2]))
	f, err := os.OpenFile(ts.MkAbs(args[0]), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	ts.Check(err)
	defer f.Close()
	_, err = f.WriteString(args[1] + " " + pub + "\n")
	ts.Check(err)
}

// replace GLOB OLD NEW replaces the first OLD with NEW in the one file
// GLOB matches (sign-off records have unpredictable names).
func cmdReplace(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: replace GLOB OLD NEW")
	}
	matches, err := filepath.Glob(ts.MkAbs(args[0]))
	ts.Check(err)
	if len(matches) != 1 {
		ts.Fatalf("replace: %s matches %d files, want 1", args[0], len(matches))
	}
	data, err := os.ReadFile(matches[0])
	ts.Check(err)
	if !strings.Contains(string(data), args[1]) {
		ts.Fatalf("replace: %s has no %q", matches[0], args[1])
	}
	ts.Check(os.WriteFile(matches[0], []byte(strings.Replace(string(data), args[1], args[2], 1)), 0o644))
}

// cpglob GLOB DIR copies every file GLOB matches into DIR, as a git merge
// of two branches' sign-offs would.
func cmdCpGlob(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: cpglob GLOB DIR")
	}
	matches, err := filepath.Glob(ts.MkAbs(args[0]))
	ts.Check(err)
	if len(matches) == 0 {
		ts.Fatalf("cpglob: %s matches nothing", args[0])
	}
	for _, m := range matches {
		data, err := os.ReadFile(m)
		ts.Check(err)
		ts.Check(os.WriteFile(filepath.Join(ts.MkAbs(args[1]), filepath.Base(m)), data, 0o644))
	}
}
