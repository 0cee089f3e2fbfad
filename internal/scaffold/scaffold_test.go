package scaffold

import (
	"os"
	"strings"
	"testing"

	_ "github.com/readyctl/readyctl/checks/all"
	"github.com/readyctl/readyctl/internal/checklist"
)

var noEnv = checklist.Options{NoEnv: true, LookupEnv: func(string) (string, bool) { return "", false }}

func TestTemplatesLoad(t *testing.T) {
	for _, name := range Templates() {
		src, err := Template(name)
		if err != nil {
			t.Fatal(err)
		}
		cl, err := checklist.Parse(name+".yaml", src, noEnv)
		if err != nil {
			t.Fatalf("template %s does not load: %v", name, err)
		}
		if !strings.HasPrefix(string(src), "# ") {
			t.Errorf("template %s does not start with a comment", name)
		}
		if strings.Contains(string(src), "yaml-language-server: $schema=schema/") {
			t.Errorf("template %s points at the repository's schema path", name)
		}
		kinds := map[string]bool{}
		for _, it := range cl.Items() {
			kinds[it.Kind] = true
		}
		if !kinds["manual"] || len(kinds) < 2 {
			t.Errorf("template %s: kinds %v, want automated and manual items", name, kinds)
		}
		if len(cl.Signoff.Roles) == 0 {
			t.Errorf("template %s declares no sign-off role", name)
		}
	}
	if _, err := Template("nope"); err == nil {
		t.Error("unknown template accepted")
	}
}

func TestFromCompose(t *testing.T) {
	data, err := os.ReadFile("testdata/compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	out, err := FromCompose("compose.yml", data)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := checklist.Parse("out.yaml", out, noEnv)
	if err != nil {
		t.Fatalf("proposal does not load: %v\n%s", err, out)
	}
	got := map[string]string{}
	for _, it := range cl.Items() {
		got[it.ID] = it.Kind
	}
	want := map[string]string{"web": "http", "api": "http", "db": "postgres", "cache": "redis", "queue": "tcp", "metrics": "http"}
	for id, kind := range want {
		if got[id] != kind {
			t.Errorf("item %s: kind %q, want %q", id, got[id], kind)
		}
	}
	if len(got) != len(want) {
		t.Errorf("items %v, want %v", got, want)
	}
	if strings.Contains(string(out), "hunter2") {
		t.Error("a password from the Compose file was copied")
	}
	if !strings.Contains(string(out), "worker: no port published") {
		t.Error("the skipped service is not explained")
	}
	for _, id := range []string{"web", "api", "db", "cache", "queue", "metrics"} {
		if !strings.Contains(string(out), "# "+id+": ") {
			t.Errorf("no comment on the guess for %s", id)
		}
	}
	if cl.NeededEnv[0] != "DB_PASSWORD" {
		t.Errorf("needed env %v", cl.NeededEnv)
	}
}

func TestShortPort(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want port
		udp  bool
	}{
		{"80", port{target: "80"}, false},
		{"8080:80", port{published: "8080", target: "80"}, false},
		{"127.0.0.1:8080:80", port{host: "127.0.0.1", published: "8080", target: "80"}, false},
		{"127.0.0.1::80", port{host: "127.0.0.1", target: "80"}, false},
		{"[::1]:8080:80", port{host: "::1", published: "8080", target: "80"}, false},
		{"3000-3005:3000-3005", port{published: "3000", target: "3000"}, false},
		{"53:53/udp", port{published: "53", target: "53"}, true},
		{"8080:80/tcp", port{published: "8080", target: "80"}, false},
		{"${WEB_PORT:-8080}:80", port{published: "${WEB_PORT:-8080}", target: "80"}, false},
	} {
		got, udp, err := shortPort(tc.in)
		if err != nil || got != tc.want || udp != tc.udp {
			t.Errorf("shortPort(%q) = %+v, %v, %v; want %+v, %v", tc.in, got, udp, err, tc.want, tc.udp)
		}
	}
	for _, bad := range []string{"1:2:3:4", "8080:", "[::1]"} {
		if _, _, err := shortPort(bad); err == nil {
			t.Errorf("shortPort(%q) accepted", bad)
		}
	}
}

func TestComposeVars(t *testing.T) {
	for in, want := range map[string]string{
		"8080":              "8080",
		"${PORT}":           "${env:PORT}",
		"${PORT:-8080}":     "${env:PORT:-8080}",
		"${PORT-8080}":      "${env:PORT:-8080}",
		"${PORT:?required}": "${env:PORT}",
		"$PORT":             "${env:PORT}",
		"a$$b":              "a$b",
	} {
		if got := composeVars(in); got != want {
			t.Errorf("composeVars(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestHostileCompose: a Compose file is input like any other; nothing in
// it may inject YAML into the proposal, and it is bounded.
func TestHostileCompose(t *testing.T) {
	inject := "services:\n  \"web\\n      - id: injected\\n        tcp: {address: 'evil:1'}\":\n    image: \"nginx\\n# x\"\n    ports: [\"8080:80\"]\n"
	out, err := FromCompose("c.yml", []byte(inject))
	if err != nil {
		t.Fatal(err)
	}
	cl, err := checklist.Parse("out.yaml", out, noEnv)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if n := len(cl.Items()); n != 1 || cl.Items()[0].Kind != "http" {
		t.Fatalf("injected an item:\n%s", out)
	}

	bomb := "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nservices: {web: {image: nginx, ports: [\"80:80\"], x: *e}}\n"
	if _, err := FromCompose("c.yml", []byte(bomb)); err == nil {
		t.Error("an alias bomb was walked")
	}
	for _, bad := range []string{"", "[1, 2]", "services: 3", "services: {web: 3}", "services: {web: {ports: 8080}}", "services: {web: {ports: [{published: 80}]}}", ": :"} {
		if _, err := FromCompose("c.yml", []byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
