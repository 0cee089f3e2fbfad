package signoff

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/readyctl/readyctl/internal/checklist"
)

// gitTimeout bounds each git command: a sign-off never waits on a hung
// repository (network filesystems, credential helpers).
const gitTimeout = 5 * time.Second

// git runs git in dir and returns its trimmed output, or "" when git is
// missing, dir is not a repository, or it takes too long.
func git(ctx context.Context, dir string, args ...string) string {
	ctx, cancel := context.WithTimeout(ctx, gitTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	cmd.WaitDelay = time.Second
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// Release is the default --release: the commit checked out in dir, or ""
// outside a repository. Commits that only add or change sign-off records
// (under signoffDir) do not make a new release: committing an approval
// must not void it. So the release is the newest commit up to HEAD that
// touched anything outside signoffDir.
func Release(ctx context.Context, dir, signoffDir string) string {
	return releaseCommit(ctx, dir, signoffDir, "%H")
}

// releaseCommit formats the release commit with a git log format.
func releaseCommit(ctx context.Context, dir, signoffDir, format string) string {
	head := git(ctx, dir, "log", "-1", "--format="+format, "HEAD")
	if head == "" {
		return ""
	}
	absDir, err1 := filepath.Abs(dir)
	absSignoffs, err2 := filepath.Abs(signoffDir)
	rel, err3 := filepath.Rel(absDir, absSignoffs)
	if err1 != nil || err2 != nil || err3 != nil {
		return head
	}
	// A sign-off directory outside the repository makes git fail: then
	// every commit is a release.
	if c := git(ctx, dir, "log", "-1", "--format="+format, "HEAD", "--", ":(top)", ":(exclude)"+filepath.ToSlash(rel)); c != "" {
		return c
	}
	return head
}

// GitUser is git's user.name and user.email in dir, the last fallback for
// who is signing.
func GitUser(ctx context.Context, dir string) (name, email string) {
	return git(ctx, dir, "config", "user.name"), git(ctx, dir, "config", "user.email")
}

// Actors are the identities that may not approve a run under
// forbid_self_approval: the CI actor (GITHUB_ACTOR, GITLAB_USER_LOGIN)
// and the author of the release commit in dir (see Release: not the
// approver who committed their own record afterwards).
func Actors(ctx context.Context, dir, signoffDir string, getenv func(string) string) []Actor {
	var out []Actor
	for _, k := range []string{"GITHUB_ACTOR", "GITLAB_USER_LOGIN", "GITLAB_USER_EMAIL"} {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			out = append(out, Actor{Source: k, Value: v})
		}
	}
	if author := releaseCommit(ctx, dir, signoffDir, "%an%x00%ae"); author != "" {
		name, email, _ := strings.Cut(author, "\x00")
		if name != "" {
			out = append(out, Actor{Source: "commit author", Value: name})
		}
		if email != "" {
			out = append(out, Actor{Source: "commit author", Value: email})
		}
	}
	return out
}

// ParseExpiry reads --expires: a date (2026-03-01, meaning 00:00 UTC that
// day), an RFC 3339 time, or a duration from now (30d, 2w, 72h).
func ParseExpiry(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if d, err := checklist.ParseAge(s); err == nil && d > 0 {
		return now.Add(d).UTC().Truncate(time.Second), nil
	}
	return time.Time{}, fmt.Errorf("--expires %q: expected a date (2026-03-01), a time (2026-03-01T12:00:00Z) or a duration (30d, 72h)", s)
}
