package signoff

import (
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

func TestAllowedSigners(t *testing.T) {
	keys := make([]ssh.PublicKey, 4)
	lines := make([]string, 4)
	for i := range keys {
		_, priv, _ := ed25519.GenerateKey(rand.Reader)
		keys[i] = signerOf(t, priv).PublicKey()
		lines[i] = strings.TrimSpace(string(ssh.MarshalAuthorizedKey(keys[i])))
	}
	content := "# team keys\n\n" +
		"alice@example.com,alice@corp.example " + lines[0] + " alice laptop\n" +
		`"*@ops.example.com,!mallory@ops.example.com" namespaces="readyctl,git" ` + lines[1] + "\n" +
		`carol@example.com namespaces="git" ` + lines[2] + "\n" +
		`dave@example.com valid-before="20200101Z" ` + lines[3] + "\n"
	a, err := ParseAllowedSigners("allowed_signers", []byte(content))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		principal string
		key       int
		want      string // "" = allowed
	}{
		{"alice@example.com", 0, ""},
		{"alice@corp.example", 0, ""},
		{"bob@ops.example.com", 1, ""},
		{"mallory@ops.example.com", 1, "belongs to *@ops.example.com,!mallory@ops.example.com in allowed_signers, not to mallory@ops.example.com"},
		{"bob@example.com", 0, "belongs to alice@example.com,alice@corp.example in allowed_signers, not to bob@example.com"},
		{"", 0, "record has no email"},
		{"carol@example.com", 2, `only in namespaces "git"`},
		{"dave@example.com", 3, "expired in allowed_signers"},
	}
	for _, tc := range cases {
		err := a.Check(tc.principal, keys[tc.key], Namespace, now)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s with key %d: %v, want %q", tc.principal, tc.key, err, tc.want)
		}
	}
	_, stranger, _ := ed25519.GenerateKey(rand.Reader)
	if err := a.Check("alice@example.com", signerOf(t, stranger).PublicKey(), Namespace, now); err == nil || !strings.Contains(err.Error(), "is not in allowed_signers") {
		t.Errorf("unknown key: %v", err)
	}

	// A bad line is an error naming its line, never skipped quietly.
	_, err = ParseAllowedSigners("as", []byte("ok@example.com "+lines[0]+"\nbroken@example.com ssh-ed25519 AAAAnotbase64\n"))
	if err == nil || !strings.Contains(err.Error(), "as:2:") {
		t.Errorf("bad line: %v", err)
	}
	_, err = ParseAllowedSigners("as", []byte(`x@example.com frobnicate `+lines[0]+"\n"))
	if err == nil {
		t.Error("unknown option accepted")
	}
}

func TestMatchPatternList(t *testing.T) {
	cases := []struct {
		s, list string
		want    bool
	}{
		{"a@x.com", "a@x.com", true},
		{"a@x.com", "b@x.com,a@x.com", true},
		{"a@x.com", "*@x.com", true},
		{"a@y.com", "*@x.com", false},
		{"ab@x.com", "a?@x.com", true},
		{"a@x.com", "*@x.com,!a@x.com", false},
		{"", "*", true},
		{"A@x.com", "a@x.com", false},
	}
	for _, tc := range cases {
		if got := MatchPatternList(tc.s, tc.list); got != tc.want {
			t.Errorf("MatchPatternList(%q, %q) = %v", tc.s, tc.list, got)
		}
	}
}

// TestWildMatchBoundedWork (issue 17 §5): matching does at most about
// len(pattern)*len(s) steps, whatever the stars; a recursive matcher took
// seconds on `*@*.example.com` against a 64 KB principal and grew
// exponentially with more stars.
func TestWildMatchBoundedWork(t *testing.T) {
	long := strings.Repeat("a", 64<<10)
	cases := []struct {
		p, s string
		want bool
	}{
		{"*@*.example.com", long, false},
		{"*@*.example.com", long + "@x.example.co", false},
		{"*@*.example.com", long + "@x.example.com", true},
		{"*a*a*a*a*a*a*a*a*b", long, false},
		{"*a*a*a*a*a*a*a*a*a", long, true},
		{"a*?*?*?*b", long, false},
	}
	for _, tc := range cases {
		ok, steps := wildMatchSteps(tc.p, tc.s)
		if ok != tc.want {
			t.Errorf("%.20q against %d bytes: %v, want %v", tc.p, len(tc.s), ok, tc.want)
		}
		if bound := (len(tc.p) + 1) * (len(tc.s) + 1); steps > bound {
			t.Errorf("%.20q against %d bytes: %d steps, more than %d", tc.p, len(tc.s), steps, bound)
		}
	}
	// The usual cases stay linear: one pass over the principal.
	if _, steps := wildMatchSteps("*@*.example.com", "ada@ops.example.com"); steps > 2*len("ada@ops.example.com") {
		t.Errorf("%d steps for a plain address", steps)
	}
}

func TestWildMatch(t *testing.T) {
	for _, tc := range []struct {
		p, s string
		want bool
	}{
		{"", "", true}, {"", "a", false}, {"*", "", true}, {"**", "abc", true},
		{"a*", "a", true}, {"*a", "ba", true}, {"*a", "ab", false},
		{"a*b*c", "axxbyyc", true}, {"a*b*c", "axxbyy", false}, {"?", "", false},
		{"*@*.example.com", "a@b.example.com", true}, {"*@*.example.com", "a@example.com", false},
		{"*.example.com", "x.example.com.evil", false},
	} {
		if got := wildMatch(tc.p, tc.s); got != tc.want {
			t.Errorf("wildMatch(%q, %q) = %v", tc.p, tc.s, got)
		}
	}
}
