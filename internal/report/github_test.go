package report

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// githubFixture is fixture() with the items' checklist positions, as the
// runner fills them, and a waiver that expires within the week.
func githubFixture() *Report {
	r := fixture()
	for i := range r.Items {
		r.Items[i].File = "/ws/deploy/checklist.yaml"
		r.Items[i].Line = 10 + 5*i
	}
	r.Checklist.Path = "/ws/deploy/checklist.yaml"
	r.Items[4].Signoff.Expires = r.StartedAt.Add(48 * time.Hour)
	return r
}

func TestGitHubGolden(t *testing.T) {
	for _, c := range []struct {
		file   string
		render func(*bytes.Buffer) error
	}{
		{"report.annotations.txt", func(b *bytes.Buffer) error {
			return WriteGitHubAnnotations(b, githubFixture(), GitHubOptions{Workspace: "/ws", WorkDir: "/ws"})
		}},
		{"report.summary.md", func(b *bytes.Buffer) error { return WriteGitHubSummary(b, githubFixture()) }},
	} {
		t.Run(c.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := c.render(&buf); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", c.file)
			if *update {
				os.WriteFile(path, buf.Bytes(), 0o644)
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("differs from %s (go test ./internal/report -update to accept):\n%s", path, buf.String())
			}
		})
	}
}

func TestGitHubEscaping(t *testing.T) {
	for _, c := range []struct{ in, data, prop string }{
		{"plain", "plain", "plain"},
		{"50% done", "50%25 done", "50%25 done"},
		{"a\r\nb", "a%0D%0Ab", "a%0D%0Ab"},
		{"key: a, b", "key: a, b", "key%3A a%2C b"},
		// Already-escaped text must not be decoded by GitHub: % goes first.
		{"%0A", "%250A", "%250A"},
		{"\x1b[31mred", `\x1b[31mred`, `\x1b[31mred`},
	} {
		if got := escapeData(c.in); got != c.data {
			t.Errorf("escapeData(%q) = %q, want %q", c.in, got, c.data)
		}
		if got := escapeProperty(c.in); got != c.prop {
			t.Errorf("escapeProperty(%q) = %q, want %q", c.in, got, c.prop)
		}
	}
}

// A target's answer cannot forge a workflow command: whatever it says
// stays inside one annotation line.
func TestGitHubAnnotationCannotInject(t *testing.T) {
	r := &Report{FailOn: "critical", Checklist: ChecklistInfo{Path: "c.yaml"}, Items: []Item{{
		ID: "api", Section: "s", Kind: "http", Severity: "critical", Status: Fail, Reason: "assertion",
		Message: "body was \"x\n::add-mask::\r\n::error file=evil,line=1::forged\"", File: "c.yaml", Line: 7,
	}}}
	r.Finish([]Section{{ID: "s"}}, true)
	var buf bytes.Buffer
	if err := WriteGitHubAnnotations(&buf, r, GitHubOptions{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "::error file=c.yaml,line=7,title=api::fail (assertion): body was") {
		t.Fatalf("annotations:\n%s", buf.String())
	}
}

// GitHub shows 10 annotations of a level per step: the 10th counts the
// rest instead of being one more that gets dropped.
func TestGitHubAnnotationsCapped(t *testing.T) {
	r := &Report{FailOn: "critical", Checklist: ChecklistInfo{Path: "c.yaml"}}
	for i := range 25 {
		r.Items = append(r.Items, Item{ID: fmt.Sprintf("item-%02d", i), Section: "s", Kind: "tcp", Severity: "critical", Status: Error, Reason: "timeout", File: "c.yaml", Line: i + 1})
	}
	r.Finish([]Section{{ID: "s"}}, true)
	var buf bytes.Buffer
	WriteGitHubAnnotations(&buf, r, GitHubOptions{})
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 10 || !strings.Contains(lines[9], "title=16 more::16 more blocking problems") {
		t.Fatalf("%d lines:\n%s", len(lines), buf.String())
	}
}

func TestGitHubPaths(t *testing.T) {
	for _, c := range []struct {
		o         GitHubOptions
		file, out string
	}{
		{GitHubOptions{}, "checklist.yaml", "checklist.yaml"},
		{GitHubOptions{Workspace: "/ws", WorkDir: "/ws/app"}, "checklist.yaml", "app/checklist.yaml"},
		{GitHubOptions{Workspace: "/ws", WorkDir: "/ws/app"}, "../ops/c.yaml", "ops/c.yaml"},
		{GitHubOptions{Workspace: "/ws", WorkDir: "/elsewhere"}, "c.yaml", "c.yaml"},
		{GitHubOptions{Workspace: "/ws"}, "/etc/readyctl/c.yaml", "/etc/readyctl/c.yaml"},
		{GitHubOptions{Workspace: "/ws"}, "-", ""},
	} {
		if got := c.o.path(c.file); got != c.out {
			t.Errorf("%+v path(%q) = %q, want %q", c.o, c.file, got, c.out)
		}
	}
}

// The step summary stays compact for a large run: passing items are
// counted, each table is capped, and the failures come before the 80
// items waiting for a sign-off.
func TestGitHubSummaryBounded(t *testing.T) {
	r := &Report{FailOn: "critical", Checklist: ChecklistInfo{Name: "big", Path: "c.yaml"}}
	for i := range 200 {
		r.Items = append(r.Items, Item{ID: fmt.Sprintf("ok-%03d", i), Section: "s", Kind: "tcp", Severity: "critical", Status: Pass})
	}
	for i := range 80 {
		r.Items = append(r.Items, Item{ID: fmt.Sprintf("sign-%02d", i), Section: "s", Kind: "manual", Severity: "critical", Status: Pending,
			Reason: "signoff_missing", Message: strings.Repeat("waiting ", 200)})
		r.Signoffs = append(r.Signoffs, Signoff{Type: "attest", Item: fmt.Sprintf("sign-%02d", i), Role: "qa", State: "missing"})
	}
	r.Items = append(r.Items, Item{ID: "db", Section: "s", Kind: "tcp", Severity: "critical", Status: Error, Reason: "timeout", Message: "no answer"})
	r.Finish([]Section{{ID: "s"}}, true)
	var buf bytes.Buffer
	if err := WriteGitHubSummary(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "ok-000") || !strings.Contains(out, "passing items not listed: 200") {
		t.Error("passing items listed")
	}
	if strings.Count(out, "\n| ") > 2*summaryRows+4 || len(out) > 64<<10 {
		t.Errorf("summary not bounded: %d bytes, %d rows", len(out), strings.Count(out, "\n| "))
	}
	db, sign := strings.Index(out, "`db`"), strings.Index(out, "`sign-00`")
	if db < 0 || sign < 0 || db > sign {
		t.Errorf("the error must come before the pending sign-offs (db at %d, sign-00 at %d)", db, sign)
	}
	if !strings.Contains(out, "… 31 more") {
		t.Error("rows past the cap are not counted")
	}
}

// The closing list of the text report puts the 2 failures before the 80
// pending sign-offs, which share one line.
func TestTextClosingListDoesNotBuryFailures(t *testing.T) {
	r := &Report{FailOn: "critical", Checklist: ChecklistInfo{Name: "big", Path: "c.yaml"}}
	for i := range 80 {
		r.Items = append(r.Items, Item{ID: fmt.Sprintf("sign-%02d", i), Section: "s", Kind: "manual", Severity: "critical", Status: Pending,
			Reason: "signoff_missing", Message: "waiting for a sign-off by qa"})
	}
	r.Items = append(r.Items,
		Item{ID: "api", Section: "s", Kind: "http", Severity: "critical", Status: Fail, Reason: "assertion", Message: "status was 503"},
		Item{ID: "db", Section: "s", Kind: "tcp", Severity: "critical", Status: Error, Reason: "timeout", Message: "no answer"})
	r.Finish([]Section{{ID: "s"}}, true)
	for _, quiet := range []bool{false, true} {
		var buf bytes.Buffer
		renderText(&buf, r, Options{Quiet: quiet})
		out := buf.String()
		if !quiet {
			_, out, _ = strings.Cut(out, "\nBlocking\n")
			want := "  api: status was 503\n  db: no answer\n  80 items wait for a sign-off: sign-00, sign-01, sign-02, sign-03, sign-04, … (75 more; readyctl signoffs lists them)\n\nNOT READY"
			if !strings.HasPrefix(out, want) {
				t.Errorf("closing list:\n%s\nwant it to start:\n%s", out, want)
			}
			continue
		}
		lines := strings.Split(out, "\n")
		if !strings.HasPrefix(lines[0], "✗ api ") || !strings.HasPrefix(lines[1], "! db ") || strings.Contains(out, "Sign-offs") || !strings.Contains(out, "NOT READY") {
			t.Errorf("quiet:\n%s", out)
		}
	}
}
