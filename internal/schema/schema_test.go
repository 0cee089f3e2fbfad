package schema_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	readyctl "github.com/readyctl/readyctl"
	"github.com/readyctl/readyctl/checks"
	_ "github.com/readyctl/readyctl/checks/all"
	"github.com/readyctl/readyctl/internal/checklist"
	"github.com/readyctl/readyctl/internal/scaffold"
	"github.com/readyctl/readyctl/internal/schema"
)

var update = flag.Bool("update", false, "rewrite schema/checklist.schema.json from the code")

const committed = "../../schema/checklist.schema.json"

// TestCommittedSchema keeps schema/checklist.schema.json identical to what
// `readyctl schema` prints. After changing a kind or the loader:
// go test ./internal/schema -run TestCommittedSchema -update
func TestCommittedSchema(t *testing.T) {
	got, err := schema.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(committed, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(committed)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is out of date: run `go run ./cmd/readyctl schema > schema/checklist.schema.json`", committed)
	}
}

func compile(t *testing.T) *jsonschema.Schema {
	t.Helper()
	b, err := schema.JSON()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("checklist.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("checklist.schema.json")
	if err != nil {
		t.Fatalf("the schema does not compile: %v", err)
	}
	return sch
}

// instance turns YAML into the JSON value an editor's language server
// validates.
func instance(t *testing.T, src []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(src, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(jsonable(v))
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

func jsonable(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = jsonable(e)
		}
	case map[any]any:
		m := map[string]any{}
		for k, e := range v {
			m[fmt.Sprint(k)] = jsonable(e)
		}
		return m
	case []any:
		for i, e := range v {
			v[i] = jsonable(e)
		}
	}
	return v
}

var opts = checklist.Options{NoEnv: true, LookupEnv: func(string) (string, bool) { return "", false }}

// shipped returns every checklist the repository ships, embeds or
// writes, by name: checklist.yaml, what readyctl init writes, testdata
// checklists, every kind's example wrapped into a checklist, and each
// checklist of the testscript suites that loads.
func shipped(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{"checklist.yaml (embedded)": readyctl.Checklist}
	for _, name := range checks.Names() {
		k, _ := checks.Lookup(name)
		out["example of "+name] = []byte(wrap(k.Example))
	}
	for _, name := range scaffold.Templates() {
		src, err := scaffold.Template(name)
		if err != nil {
			t.Fatal(err)
		}
		out["readyctl init --template "+name] = src
	}
	compose, err := os.ReadFile("../scaffold/testdata/compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	proposal, err := scaffold.FromCompose("compose.yml", compose)
	if err != nil {
		t.Fatal(err)
	}
	out["readyctl init --from compose.yml"] = proposal
	files, _ := filepath.Glob("../../testdata/*/*.yaml")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[f] = b
	}
	archives, _ := filepath.Glob("../../testdata/*/*.txtar")
	for _, a := range archives {
		ar, err := txtar.ParseFile(a)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range ar.Files {
			if !strings.HasSuffix(f.Name, ".yaml") || !bytes.Contains(f.Data, []byte("sections:")) {
				continue
			}
			if _, err := checklist.Parse(f.Name, f.Data, opts); err != nil {
				continue // a checklist a script shows refused
			}
			out[a+":"+f.Name] = f.Data
		}
	}
	return out
}

func wrap(example string) string {
	lines := strings.Split(strings.TrimRight(example, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "      " + l
	}
	return "version: 1\nname: example\nsections:\n  - id: s\n    items:\n" + strings.Join(lines, "\n") + "\n"
}

// TestShippedChecklistsValidate: every checklist the loader accepts that
// the repository ships, the schema accepts too.
func TestShippedChecklistsValidate(t *testing.T) {
	sch := compile(t)
	all := shipped(t)
	if len(all) < 20 {
		t.Fatalf("only %d checklists found: the globs are wrong", len(all))
	}
	for name, src := range all {
		if _, err := checklist.Parse(name, src, opts); err != nil && !strings.HasPrefix(name, "../../testdata/signoff") {
			t.Errorf("%s does not load: %v", name, err)
			continue
		}
		if err := sch.Validate(instance(t, src)); err != nil {
			t.Errorf("%s: the schema refuses a checklist the loader accepts:\n%v", name, err)
		}
	}
}

const base = `version: 1
name: base
sections:
  - id: s
    items:
      - id: web
        severity: warning
        retries: 2
        timeout: 5s
        http:
          url: http://127.0.0.1:8080/health
          status: 200
          max_latency: 500ms
      - id: ok
        manual:
          roles: [qa]
`

// TestRefusesWhatLoaderRefuses: each change makes the loader refuse the
// file (exit 3), and the schema must refuse it too; the base is accepted
// by both.
func TestRefusesWhatLoaderRefuses(t *testing.T) {
	sch := compile(t)
	if _, err := checklist.Parse("base.yaml", []byte(base), opts); err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(instance(t, []byte(base))); err != nil {
		t.Fatalf("base refused: %v", err)
	}
	for _, tc := range []struct{ name, old, new string }{
		{"unknown top-level field", "name: base", "name: base\ncolour: blue"},
		{"unknown item field", "        severity: warning", "        severty: warning"},
		{"unknown field in a kind block", "          status: 200", "          statuss: 200"},
		{"unknown field in a nested block", "          status: 200", "          tls: {ca_fil: x.pem}"},
		{"bad severity", "severity: warning", "severity: urgent"},
		{"bad default severity", "name: base", "name: base\ndefaults: {severity: urgent}"},
		{"retries not a number", "retries: 2", `retries: "x"`},
		{"retries out of range", "retries: 2", "retries: 101"},
		{"min_pass_rate out of range", "  - id: s", "  - id: s\n    min_pass_rate: 1.5"},
		{"timeout not a duration", "timeout: 5s", "timeout: soon"},
		{"duration in a kind block", "max_latency: 500ms", "max_latency: 500"},
		{"bad id", "id: web", "id: Web_1"},
		{"two kinds", "        http:", "        tcp: {address: 127.0.0.1:1}\n        http:"},
		{"no kind", "        manual:\n          roles: [qa]\n", ""},
		{"unknown kind", "        http:", "        htp:"},
		{"kind block not a mapping", "        manual:\n          roles: [qa]\n", "        tcp: 127.0.0.1:1\n"},
		{"expect not a list of strings", "          max_latency: 500ms", "          expect: {a: b}"},
		{"unknown section field", "  - id: s", "  - id: s\n    owner: me"},
		{"unknown signoff field", "name: base", "name: base\nsignoff: {roles: [{id: qa}], requires: [qa]}"},
		{"version missing", "version: 1\n", ""},
		{"version 2", "version: 1", "version: 2"},
		{"http status not a status", "status: 200", "status: {code: 200}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(base, tc.old, tc.new, 1)
			if src == base {
				t.Fatalf("%q not in base", tc.old)
			}
			if _, err := checklist.Parse("c.yaml", []byte(src), opts); err == nil {
				t.Fatalf("the loader accepts it:\n%s", src)
			}
			if err := sch.Validate(instance(t, []byte(src))); err == nil {
				t.Errorf("the schema accepts what the loader refuses:\n%s", src)
			}
		})
	}
}

// TestInterpolatedScalars: inside items a duration, a severity or an
// HTTP status may be written as ${var}; the schema must not refuse what
// interpolation makes valid. An integer may not (the loader refuses the
// string interpolation leaves), and the schema says so too.
func TestInterpolatedScalars(t *testing.T) {
	sch := compile(t)
	src := strings.NewReplacer("severity: warning", "severity: ${sev}", "status: 200", "status: ${code}", "max_latency: 500ms", "max_latency: ${lat}", "timeout: 5s", "timeout: ${lat}").
		Replace(base)
	src = strings.Replace(src, "name: base", "name: base\nvars: {sev: info, code: 200, lat: 1s}", 1)
	if _, err := checklist.Parse("c.yaml", []byte(src), opts); err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(instance(t, []byte(src))); err != nil {
		t.Errorf("refused:\n%v", err)
	}
	// A plain ${n} in a number field reads as the number it expands to,
	// for the loader and the schema alike.
	src = strings.Replace(src, "retries: 2", "retries: ${n}\n        # n", 1)
	src = strings.Replace(src, "vars: {", "vars: {n: 1, ", 1)
	if _, err := checklist.Parse("c.yaml", []byte(src), opts); err != nil {
		t.Fatalf("the loader refuses retries: ${n}: %v", err)
	}
	if err := sch.Validate(instance(t, []byte(src))); err != nil {
		t.Errorf("the schema refuses retries: ${n}, which the loader accepts:\n%v", err)
	}
	// Anything else in a number field is refused by both.
	bad := strings.Replace(src, "retries: ${n}", "retries: many", 1)
	if _, err := checklist.Parse("c.yaml", []byte(bad), opts); err == nil {
		t.Error("the loader accepts retries: many")
	}
	if err := sch.Validate(instance(t, []byte(bad))); err == nil {
		t.Error("the schema accepts retries: many")
	}
}

// TestSchemaLines: every shipped checklist file names the schema on its
// first line, by a path relative to the file, so editors find it.
func TestSchemaLines(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/*/*.yaml")
	files = append(files, "../../checklist.yaml")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(string(b), "\n")
		ref, ok := strings.CutPrefix(first, "# yaml-language-server: $schema=")
		if !ok {
			t.Errorf("%s: first line is not # yaml-language-server: $schema=...", f)
			continue
		}
		if got, want := filepath.Clean(filepath.Join(filepath.Dir(f), ref)), filepath.Clean(committed); got != want {
			t.Errorf("%s: $schema=%s points at %s, not %s", f, ref, got, want)
		}
	}
}

// TestEnumsAreTheLoaders: every value a kind lists in Enums() loads, and
// a value outside the list is refused at that field, so the schema
// offers exactly what Validate takes.
func TestEnumsAreTheLoaders(t *testing.T) {
	n := 0
	for _, name := range checks.Names() {
		k, _ := checks.Lookup(name)
		e, ok := k.New().(checks.Enumerated)
		if !ok {
			continue
		}
		for path, values := range e.Enums() {
			for _, v := range append([]string{"no-such-value"}, values...) {
				n++
				src := withField(t, k, path, v)
				_, err := checklist.Parse("c.yaml", []byte(src), checklist.Options{LookupEnv: func(string) (string, bool) { return "x", true }})
				atField := err != nil && strings.Contains(err.Error(), name+"."+path)
				if v == "no-such-value" && !atField {
					t.Errorf("%s.%s: %q is not refused at the field (err %v)", name, path, v, err)
				}
				if v != "no-such-value" && atField {
					t.Errorf("%s.%s: %q is listed in Enums but refused: %v", name, path, v, err)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no kind lists enums")
	}
}

// withField is kind k's example as a checklist, with path (dotted) in its
// kind block set to v.
func withField(t *testing.T, k checks.Kind, path, v string) string {
	t.Helper()
	var items []map[string]any
	if err := yaml.Unmarshal([]byte(k.Example), &items); err != nil {
		t.Fatal(err)
	}
	block, _ := items[0][k.Name].(map[string]any)
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := block[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			if p == "key" {
				next["name"] = "k" // a key block needs its key
			}
			block[p] = next
		}
		block = next
	}
	block[parts[len(parts)-1]] = v
	doc := map[string]any{"version": 1, "name": "e", "sections": []any{map[string]any{"id": "s", "items": items[:1]}}}
	b, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestEmptyValues: the loader takes an empty field (YAML null) as not
// set, so the schema accepts it too.
func TestEmptyValues(t *testing.T) {
	sch := compile(t)
	src := strings.NewReplacer("        retries: 2", "        retries:\n        title:\n        tags:", "          status: 200", "          status: 200\n          tls:\n          max_redirects:").Replace(base)
	if _, err := checklist.Parse("c.yaml", []byte(src), opts); err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(instance(t, []byte(src))); err != nil {
		t.Errorf("refused:\n%v", err)
	}
}
