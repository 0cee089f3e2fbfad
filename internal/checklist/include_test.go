package checklist_test

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/readyctl/readyctl/checks/httpcheck"
	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/signoff"
)

// tree writes files (name -> content) under a new directory and returns it.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func noEnv(k string) (string, bool) {
	v, ok := map[string]string{"TOKEN": "s3cr3t-t0ken"}[k]
	return v, ok
}

// load loads dir/root.yaml the way the CLI does, relative to dir.
func load(t *testing.T, dir string, opts checklist.Options) (*checklist.Checklist, error) {
	t.Helper()
	if opts.LookupEnv == nil {
		opts.LookupEnv = noEnv
	}
	t.Chdir(dir)
	return checklist.Load("root.yaml", opts)
}

func problems(t *testing.T, err error) []string {
	t.Helper()
	var es checklist.Errors
	if !errors.As(err, &es) {
		t.Fatalf("want checklist.Errors, got %v", err)
	}
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Error()
	}
	return out
}

func wantProblems(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("loaded; want errors %q", want)
	}
	got := problems(t, err)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

var includeTree = map[string]string{
	"root.yaml": `version: 1
name: Shop
include: [parts/vars.yaml, parts/health.yaml]
vars:
  port: "8080"
sections:
  - id: procedure
    items:
      - id: notify
        manual: {roles: [qa-lead]}
`,
	"parts/vars.yaml": `vars:
  api: http://127.0.0.1:${port}
environments:
  production:
    api: https://shop.example
`,
	"parts/health.yaml": `# health checks, owned by the platform team
include: [roles.yaml]
sections:
  - id: health
    title: Health
    items:
      - id: api
        http:
          url: ${api}/health
          headers: {X-Token: "${env:TOKEN}"}
      - id: db
        depends_on: [api]
        tcp: {address: "127.0.0.1:5432"}
`,
	"parts/roles.yaml": `version: 1
signoff:
  roles:
    - {id: qa-lead, title: QA Lead}
  require: [qa-lead]
`,
}

func TestIncludeTree(t *testing.T) {
	dir := tree(t, includeTree)
	cl, err := load(t, dir, checklist.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range cl.Items() {
		got = append(got, it.Section.ID+"/"+it.ID+"@"+it.File)
	}
	want := []string{"health/api@parts/health.yaml", "health/db@parts/health.yaml", "procedure/notify@root.yaml"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("items %v, want %v (included sections first, each item in its own file)", got, want)
	}
	if url := cl.Items()[0].Probe.(*httpcheck.Probe).URL; url != "http://127.0.0.1:8080/health" {
		t.Errorf("url %q: vars from the root and an included file", url)
	}
	if ids := cl.Signoff.RoleIDs(); len(ids) != 1 || ids[0] != "qa-lead" || cl.Signoff.Require[0] != "qa-lead" {
		t.Errorf("signoff policy %+v, from the nested include", cl.Signoff)
	}
	if len(cl.Secrets) != 1 || cl.Secrets[0] != "s3cr3t-t0ken" {
		t.Errorf("secrets %v: ${env:} in an included file", cl.Secrets)
	}
	var paths []string
	for _, in := range cl.Includes {
		paths = append(paths, in.Path)
	}
	if strings.Join(paths, " ") != "parts/vars.yaml parts/health.yaml parts/roles.yaml" {
		t.Errorf("includes %v", paths)
	}
	if len(cl.Docs()) != 4 {
		t.Errorf("%d docs", len(cl.Docs()))
	}
	root, _ := os.ReadFile(filepath.Join(dir, "root.yaml"))
	if cl.SHA256 == fmt.Sprintf("%x", sha256.Sum256(root)) {
		t.Error("the digest covers only the root file")
	}

	cl, err = load(t, dir, checklist.Options{Env: "production"})
	if err != nil {
		t.Fatal(err)
	}
	if url := cl.Items()[0].Probe.(*httpcheck.Probe).URL; url != "https://shop.example/health" {
		t.Errorf("url %q: environments from an included file", url)
	}

	// Sign-off commands load definitions only: the tree too.
	cl, err = load(t, dir, checklist.Options{Definitions: true})
	if err != nil || len(cl.Items()) != 3 || len(cl.Signoff.Roles) != 1 {
		t.Fatalf("definitions: %v %v", cl, err)
	}
}

func TestIncludeDigest(t *testing.T) {
	dir := tree(t, includeTree)
	digest := func() string {
		cl, err := load(t, dir, checklist.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return cl.SHA256
	}
	first := digest()
	if again := digest(); again != first {
		t.Fatalf("digest not stable: %s, %s", first, again)
	}
	nested := filepath.Join(dir, "parts/roles.yaml")
	data, _ := os.ReadFile(nested)
	if err := os.WriteFile(nested, append(data, "# a comment\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if changed := digest(); changed == first {
		t.Error("digest unchanged after a nested included file changed")
	}
}

// TestIncludeItemDigestsPerItem: a sign-off stays bound to its item's
// own definition, wherever the item is written: moving an item into an
// included file leaves its digest alone.
func TestIncludeItemDigestsPerItem(t *testing.T) {
	dir := tree(t, includeTree)
	cl, err := load(t, dir, checklist.Options{})
	if err != nil {
		t.Fatal(err)
	}
	inline := tree(t, map[string]string{"root.yaml": `version: 1
sections:
  - id: elsewhere
    items:
      - id: api
        http:
          url: ${api}/health
          headers: {X-Token: "${env:TOKEN}"}
`})
	one, err := load(t, inline, checklist.Options{Definitions: true})
	if err != nil {
		t.Fatal(err)
	}
	a, err := signoff.ItemDigest(cl.Items()[0])
	if err != nil {
		t.Fatal(err)
	}
	b, _ := signoff.ItemDigest(one.Items()[0])
	if a != b {
		t.Errorf("item digest %s from an include, %s inline", a, b)
	}
}

func TestIncludeErrors(t *testing.T) {
	item := func(id string) string {
		return "      - id: " + id + "\n        tcp: {address: \"127.0.0.1:1\"}\n"
	}
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"cycle", map[string]string{
			"root.yaml":  "version: 1\ninclude: [a.yaml]\nsections:\n  - id: s\n    items:\n" + item("r"),
			"a.yaml":     "include: [sub/b.yaml]\n",
			"sub/b.yaml": "include:\n  - ../root.yaml\n",
		}, []string{"sub/b.yaml:2:5: include cycle: root.yaml -> a.yaml -> sub/b.yaml -> root.yaml"}},
		{"self", map[string]string{
			"root.yaml": "version: 1\ninclude: [root.yaml]\nsections:\n  - id: s\n    items:\n" + item("r"),
		}, []string{"root.yaml:2:11: include cycle: root.yaml -> root.yaml"}},
		{"duplicate ids across files", map[string]string{
			"root.yaml": "version: 1\ninclude: [a.yaml]\nsections:\n  - id: s\n    items:\n" + item("r") + item("x"),
			"a.yaml":    "sections:\n  - id: s\n    items:\n" + item("x"),
		}, []string{
			`root.yaml:4:9: duplicate section id "s" (first used at a.yaml:2:9)`,
			`root.yaml:8:13: item "x": duplicate id "x" (first used at a.yaml:4:13)`,
		}},
		{"error inside an included file", map[string]string{
			"root.yaml": "version: 1\ninclude: [parts/a.yaml]\nsections:\n  - id: s\n    items:\n" + item("r"),
			"parts/a.yaml": "sections:\n  - id: t\n    items:\n      - id: bad\n        http: {url: \"http://x\", urll: y}\n" +
				"      - id: dep\n        depends_on: [nothere]\n        tcp: {address: \"127.0.0.1:1\"}\n      - id: sec\n        http: {url: \"http://x/${env:TOKEN}\", bogus: 1}\n",
		}, []string{
			`parts/a.yaml:5:33: item "bad": http: unknown field "urll" (did you mean "url"?)`,
			`parts/a.yaml:7:22: item "dep": depends_on "nothere": no item has that id`,
			`parts/a.yaml:10:46: item "sec": http: unknown field "bogus" (did you mean "body"?)`,
		}},
		{"checks across files report in the item's file", map[string]string{
			"root.yaml": "version: 1\ninclude: [a.yaml]\nsignoff: {roles: [{id: qa}]}\nsections:\n  - id: s\n    items:\n" + item("r"),
			"a.yaml":    "signoff: {roles: [{id: other}]}\nsections:\n  - id: t\n    items:\n      - id: m\n        depends_on: [r, m]\n        manual: {roles: [qa-lead]}\n",
		}, []string{
			"root.yaml:3:1: signoff: the policy is also defined at a.yaml:1:1: define it in one file",
			`a.yaml:6:21: item "m": dependency cycle: m -> m`,
			`a.yaml:7:26: item "m": manual.roles: role "qa-lead" is not declared under signoff.roles`,
		}},
		{"syntax error in an included file", map[string]string{
			"root.yaml": "version: 1\ninclude: [a.yaml]\nsections:\n  - id: s\n    items:\n" + item("r"),
			"a.yaml":    "sections:\n  - id: t\n   items: [\n",
		}, []string{"a.yaml:1:1: YAML syntax error: did not find expected '-' indicator"}},
		{"missing and empty", map[string]string{
			"root.yaml": "version: 1\ninclude: [nope.yaml, \"\"]\nsections:\n  - id: s\n    items:\n" + item("r"),
		}, []string{
			`root.yaml:2:11: include "nope.yaml": cannot read nope.yaml: no such file or directory`,
			`root.yaml:2:22: include: an empty path`,
		}},
		{"included twice", map[string]string{
			"root.yaml": "version: 1\ninclude: [a.yaml, b.yaml]\nsections:\n  - id: s\n    items:\n" + item("r"),
			"a.yaml":    "include: [c.yaml]\n",
			"b.yaml":    "include: [./c.yaml]\n",
			"c.yaml":    "vars: {x: y}\n",
		}, []string{`b.yaml:1:11: include "./c.yaml": c.yaml is already included (at a.yaml:1:11); a file is included once`}},
		{"conflicts", map[string]string{
			"root.yaml": "version: 1\ninclude: [a.yaml]\nvars: {x: root}\nenvironments: {prod: {y: root}}\nsignoff: {roles: [{id: qa}]}\nsections:\n  - id: s\n    items:\n" + item("r"),
			"a.yaml":    "vars: {x: a}\nenvironments: {prod: {y: a}, dev: {y: a}}\nsignoff: {roles: [{id: qa}]}\nname: A\ndefaults: {timeout: 1s}\nversion: 2\n",
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := tree(t, tc.files)
			_, err := load(t, dir, checklist.Options{})
			if tc.name == "conflicts" {
				got := strings.Join(problems(t, err), "\n")
				for _, want := range []string{
					`root.yaml:3:8: variable "x" is also defined at a.yaml:1:8`,
					`root.yaml:4:23: environments.prod.y is also defined at a.yaml:2:23`,
					`root.yaml:5:1: signoff: the policy is also defined at a.yaml:3:1`,
					`a.yaml:4:1: name: set only in the root checklist`,
					`a.yaml:5:1: defaults: set only in the root checklist`,
					`a.yaml:6:10: unsupported version 2`,
				} {
					if !strings.Contains(got, want) {
						t.Errorf("problems:\n%s\nlack %s", got, want)
					}
				}
				if strings.Contains(got, "dev.y") {
					t.Errorf("an environment only one file defines is not a conflict:\n%s", got)
				}
				return
			}
			wantProblems(t, err, tc.want...)
		})
	}
}

// TestIncludeSecretsMasked: a secret from ${env:} in an included file is
// masked in messages like one in the root.
func TestIncludeSecretsMasked(t *testing.T) {
	dir := tree(t, map[string]string{
		"root.yaml": "version: 1\ninclude: [a.yaml]\nsections: []\n",
		"a.yaml":    "sections:\n  - id: t\n    items:\n      - id: x\n        http: {url: \"http://[${env:TOKEN}\"}\n",
	})
	_, err := load(t, dir, checklist.Options{})
	if err == nil {
		t.Fatal("loaded a bad URL")
	}
	if strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("secret in %v", err)
	}
	if !strings.HasPrefix(err.Error(), "a.yaml:5:") {
		t.Errorf("error %v not in a.yaml", err)
	}
}

func TestIncludeDepthAndBudgets(t *testing.T) {
	t.Run("depth", func(t *testing.T) {
		files := map[string]string{"root.yaml": "version: 1\ninclude: [f0.yaml]\nsections: []\n"}
		for i := 0; i < 20; i++ {
			files[fmt.Sprintf("f%d.yaml", i)] = fmt.Sprintf("include: [f%d.yaml]\n", i+1)
		}
		files["f20.yaml"] = "vars: {}\n"
		_, err := load(t, tree(t, files), checklist.Options{})
		wantProblems(t, err, `f15.yaml:1:11: include "f16.yaml": includes nest more than 16 deep`)
	})
	t.Run("nodes shared", func(t *testing.T) {
		// Each file alone is within the node budget; together they are not.
		defer checklist.SetLimits(300, checklist.MaxExpansion)()
		var items strings.Builder
		for i := 0; i < 20; i++ {
			fmt.Fprintf(&items, "      - {id: i%d, tcp: {address: \"127.0.0.1:1\"}}\n", i)
		}
		files := map[string]string{"root.yaml": "version: 1\ninclude: [a.yaml, b.yaml]\nsections: []\n"}
		files["a.yaml"] = "sections:\n  - id: a\n    items:\n" + items.String()
		files["b.yaml"] = "sections:\n  - id: b\n    items:\n" + strings.ReplaceAll(items.String(), "id: i", "id: j")
		dir := tree(t, files)
		_, err := load(t, dir, checklist.Options{})
		wantErr(t, err, "b.yaml:")
		wantErr(t, err, "document too large: more than 300 YAML nodes")
	})
	t.Run("bytes shared", func(t *testing.T) {
		pad := "# " + strings.Repeat("x", 1000) + "\n"
		big := strings.Repeat(pad, checklist.MaxFileSize/len(pad)*2/3)
		files := map[string]string{
			"root.yaml": "version: 1\ninclude: [a.yaml, b.yaml]\nsections: []\n",
			"a.yaml":    big + "vars: {}\n",
			"b.yaml":    big + "vars: {}\n",
		}
		_, err := load(t, tree(t, files), checklist.Options{})
		wantProblems(t, err, `root.yaml:2:19: include "b.yaml": the checklist and its includes are larger than 1 MiB, the most readyctl reads`)
	})
	t.Run("expansion shared", func(t *testing.T) {
		defer checklist.SetLimits(checklist.MaxNodes, 1000)()
		v := strings.Repeat("x", 600)
		files := map[string]string{
			"root.yaml": "version: 1\ninclude: [a.yaml, b.yaml]\nvars: {v: " + v + "}\nsections: []\n",
			"a.yaml":    "sections:\n  - id: a\n    items:\n      - {id: a, title: \"${v}\", tcp: {address: \"127.0.0.1:1\"}}\n",
			"b.yaml":    "sections:\n  - id: b\n    items:\n      - {id: b, title: \"${v}\", tcp: {address: \"127.0.0.1:1\"}}\n",
		}
		_, err := load(t, tree(t, files), checklist.Options{})
		wantErr(t, err, "b.yaml:4:")
		wantErr(t, err, "expansion too large")
	})
	t.Run("fifo", func(t *testing.T) {
		dir := tree(t, map[string]string{"root.yaml": "version: 1\ninclude: [pipe.yaml]\nsections: []\n"})
		if err := syscall.Mkfifo(filepath.Join(dir, "pipe.yaml"), 0o644); err != nil {
			t.Skip(err)
		}
		_, err := load(t, dir, checklist.Options{})
		wantErr(t, err, "root.yaml:2:11: include \"pipe.yaml\": ")
		wantErr(t, err, "not a regular file")
	})
}

func TestIncludeEntriesBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\nsections: []\ninclude:\n")
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(&b, "  - missing-%d.yaml\n", i)
	}
	_, err := load(t, tree(t, map[string]string{"root.yaml": b.String()}), checklist.Options{})
	got := problems(t, err)
	if len(got) != checklist.MaxIncludes+1 {
		t.Fatalf("%d problems, want %d", len(got), checklist.MaxIncludes+1)
	}
	wantErr(t, err, fmt.Sprintf(`include "missing-256.yaml": more than %d include entries in the checklist and its includes`, checklist.MaxIncludes))
}

// An included file's item at the same line and column as a root item must
// keep its own raw definition: sign-off digests are taken from Raw, and an
// approval of one item must never cover another.
func TestIncludedItemRawIsItsOwn(t *testing.T) {
	body := func(id, port string) string {
		return "sections:\n  - id: s-" + id + "\n    items:\n      - id: " + id + "\n        tcp: {address: \"127.0.0.1:" + port + "\"}\n"
	}
	dir := tree(t, map[string]string{
		// The same layout in both files: the item sits at 5:9 in each.
		"root.yaml": "version: 1\ninclude: [part.yaml]\n" + body("root-item", "1"),
		"part.yaml": "version: 1\n\n" + body("part-item", "2"),
	})
	cl, err := load(t, dir, checklist.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range cl.Items() {
		id := ""
		for k := 0; k+1 < len(it.Raw.Content); k += 2 {
			if it.Raw.Content[k].Value == "id" {
				id = it.Raw.Content[k+1].Value
			}
		}
		if id != it.ID {
			t.Errorf("item %q (%s:%d) has the raw definition of %q", it.ID, it.File, it.Line, id)
		}
	}
}
