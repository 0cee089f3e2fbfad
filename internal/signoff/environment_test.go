package signoff

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/readyctl/readyctl/internal/testsvc"
)

// TestGitEnvironment: the default --release is the commit checked out,
// and the commit's author is an actor that may not approve.
func TestGitEnvironment(t *testing.T) {
	gitBin := testsvc.Binary(t, "git")
	t.Setenv("GIT_CONFIG_GLOBAL", "/dev/null")
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	ctx := context.Background()
	outside := t.TempDir()
	if r := Release(ctx, outside, DefaultDir(filepath.Join(outside, "c.yaml"))); r != "" {
		t.Errorf("release outside a repository: %q", r)
	}
	repo := t.TempDir()
	os.WriteFile(filepath.Join(repo, "checklist.yaml"), []byte("version: 1\n"), 0o644)
	for _, args := range [][]string{
		{"init", "-q"},
		{"add", "checklist.yaml"},
		{"-c", "user.name=Carol Author", "-c", "user.email=carol@example.com", "commit", "-q", "-m", "checklist"},
	} {
		cmd := exec.Command(gitBin, append([]string{"-C", repo}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	signoffs := DefaultDir(filepath.Join(repo, "checklist.yaml"))
	release := Release(ctx, repo, signoffs)
	if !regexp.MustCompile(`^[0-9a-f]{40,64}$`).MatchString(release) {
		t.Errorf("release %q, want the commit id", release)
	}
	commit := func(file string, author ...string) {
		t.Helper()
		if author == nil {
			author = []string{"Carol Author", "carol@example.com"}
		}
		os.MkdirAll(filepath.Dir(filepath.Join(repo, file)), 0o755)
		os.WriteFile(filepath.Join(repo, file), []byte(file), 0o644)
		for _, args := range [][]string{{"add", "."}, {"-c", "user.name=" + author[0], "-c", "user.email=" + author[1], "commit", "-q", "-m", file}} {
			if out, err := exec.Command(gitBin, append([]string{"-C", repo}, args...)...).CombinedOutput(); err != nil {
				t.Fatalf("git %v: %v\n%s", args, err, out)
			}
		}
	}
	// Committing a sign-off record does not make a new release: that would
	// void the approval being committed.
	commit(".readyctl/signoffs/a.json", "Erin Approver", "erin@example.com")
	if r := Release(ctx, repo, signoffs); r != release {
		t.Errorf("release after committing a record: %q, want %q", r, release)
	}
	commit("app.go")
	if r := Release(ctx, repo, signoffs); r == release || r == "" {
		t.Errorf("release after committing code: %q, want a new one", r)
	}
	// The approver committing their record is not the author of the
	// release: the commit author actor stays the release's author.
	commit(".readyctl/signoffs/b.json", "Erin Approver", "erin@example.com")
	env := map[string]string{"GITHUB_ACTOR": "dave", "GITLAB_USER_LOGIN": ""}
	actors := Actors(ctx, repo, signoffs, func(k string) string { return env[k] })
	want := []Actor{{"GITHUB_ACTOR", "dave"}, {"commit author", "Carol Author"}, {"commit author", "carol@example.com"}}
	if len(actors) != len(want) {
		t.Fatalf("actors %v, want %v", actors, want)
	}
	for i := range want {
		if actors[i] != want[i] {
			t.Errorf("actor %d: %v, want %v", i, actors[i], want[i])
		}
	}
	r := &Record{Name: "Carol A.", Email: "carol@example.com"}
	if a, ok := selfApproval(r, actors); !ok || a.Source != "commit author" {
		t.Errorf("commit author approving: %v %v", a, ok)
	}
	if _, ok := selfApproval(&Record{Name: "Erin", Email: "erin@example.com"}, actors); ok {
		t.Error("Erin is neither the actor nor the author")
	}
}
