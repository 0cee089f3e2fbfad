package checklist_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"
	"go.yaml.in/yaml/v3"

	"github.com/readyctl/readyctl/internal/checklist"
)

// A checklist without aliases is interpolated by copying only what
// changes, and its document as written is the parsed one (no deep copy,
// issue 16); one with aliases is copied first and interpolated in place.
// Both ways must load every checklist to the same result, messages
// included, and leave the document as written untouched.
func TestPlainLoadIsTheCopyingLoad(t *testing.T) {
	dir := t.TempDir()
	var files []string
	add := func(name, src string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml") {
			files = append(files, p)
		}
	}
	for i, s := range append(fuzzSeeds(), plainCases...) {
		add(fmt.Sprintf("seed%d/checklist.yaml", i), s)
	}
	add("inc/part.yaml", "vars: {p: part}\nsections:\n  - id: part\n    items:\n      - id: p1\n        title: ${p} ${name}\n        http: {url: 'http://${host}/${p}'}\n      - id: p2\n        http: {url: '${undefined}'}\n")
	add("inc/checklist.yaml", "version: 1\nname: ${name}\ninclude: [part.yaml]\nvars: {name: root, host: h}\nsections:\n  - id: s\n    items:\n      - id: a\n        depends_on: [p1]\n        http: {url: 'http://${host}/a'}\n")
	// The checklists of the examples and of the CLI's scripts.
	for _, pattern := range []string{"../../checklist.yaml", "../../checks/*/example.yaml", "../../testdata/*/*.yaml", "../scaffold/templates/*.yaml"} {
		matches, _ := filepath.Glob(pattern)
		for i, m := range matches {
			data, err := os.ReadFile(m)
			if err != nil {
				t.Fatal(err)
			}
			add(fmt.Sprintf("examples/%d-%s/%s", i, strings.ReplaceAll(filepath.Dir(m), "/", "_"), filepath.Base(m)), string(data))
		}
	}
	scripts, _ := filepath.Glob("../../testdata/script/*.txtar")
	for _, s := range scripts {
		a, err := txtar.ParseFile(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range a.Files {
			add(filepath.Join("scripts", filepath.Base(s), f.Name), string(f.Data))
		}
	}
	if len(files) < 50 {
		t.Fatalf("only %d checklists to compare", len(files))
	}

	env := func(k string) (string, bool) {
		if k == "UNSET" {
			return "", false
		}
		return "secret-" + k, true
	}
	modes := map[string]checklist.Options{
		"run":         {LookupEnv: env, Vars: map[string]string{}},
		"definitions": {LookupEnv: env, Definitions: true},
		"noenv":       {LookupEnv: func(string) (string, bool) { return "", false }, NoEnv: true},
	}
	loaded := 0
	for _, f := range files {
		for mode, opts := range modes {
			plainCl, plainErr := checklist.Load(f, opts)
			restore := checklist.CopyDocuments()
			copyCl, copyErr := checklist.Load(f, opts)
			restore()
			name := strings.TrimPrefix(f, dir) + " " + mode
			if fmt.Sprint(plainErr) != fmt.Sprint(copyErr) {
				t.Errorf("%s: errors differ:\nplain: %v\ncopy:  %v", name, plainErr, copyErr)
				continue
			}
			if plainErr != nil {
				continue
			}
			loaded++
			if p, c := dumpChecklist(t, plainCl), dumpChecklist(t, copyCl); p != c {
				t.Errorf("%s: checklists differ:\nplain:\n%s\ncopy:\n%s", name, p, c)
			}
			pi, ci := plainCl.Items(), copyCl.Items()
			for i := range pi {
				if p, c := dumpValue(reflect.ValueOf(pi[i].Probe)), dumpValue(reflect.ValueOf(ci[i].Probe)); p != c {
					t.Errorf("%s: item %s: probes differ:\nplain: %s\ncopy:  %s", name, pi[i].ID, p, c)
				}
			}
		}
	}
	if loaded < 30 {
		t.Errorf("only %d loads without errors: the comparison says little", loaded)
	}
}

var plainCases = []string{
	// An interpolated id names the item in a later message, as in place.
	"version: 1\nvars: {i: x}\nsections:\n  - id: s\n    items:\n      - id: ${i}\n        title: ${nope}\n        http: {url: '${nope2}'}\n",
	// Numbers and booleans through variables; quoted stays a string.
	"version: 1\nvars: {n: '2', b: 'true', d: 1s}\nsections:\n  - id: s\n    items:\n      - id: a\n        retries: ${n}\n        retry_delay: ${d}\n        exclusive: ${b}\n        http: {url: 'http://x/', status: ['${n}00']}\n",
	// A failed expansion is tainted: only the expansion speaks for it.
	"version: 1\nsections:\n  - id: s\n    items:\n      - id: a\n        depends_on: ['${undefined}']\n        http: {url: 'http://x/'}\n      - id: b\n        timeout: ${undefined}\n        tcp: {address: '${also}'}\n",
	// Secrets, unset variables, defaults and escapes.
	"version: 1\nname: n ${env:NAME}\nsections:\n  - id: s\n    items:\n      - id: a\n        description: $${literal} ${env:UNSET:-dflt}\n        http: {url: 'http://${env:HOST}/', headers: {Authorization: 'Bearer ${env:TOKEN}'}}\n      - id: b\n        exec: {command: ['${env:CMD}']}\n      - id: c\n        http: {url: 'http://x/${env:UNSET}'}\n",
	// Items that are not mappings, sections that are not either.
	"version: 1\nvars: {v: x}\nsections:\n  - id: s\n    items:\n      - ${v}\n      - [${v}, ${w}]\n      - id: ok\n        manual: {roles: [qa], instructions: '${v}'}\n  - ${v}\n  - id: t\n    items: ${v}\n",
	// Environments and --env-like layers, a long chain of variables.
	"version: 1\nvars: {a: '${b}', b: '${c}', c: end}\nenvironments: {prod: {c: prod}}\nsections:\n  - id: s\n    title: ${a}\n    items:\n      - id: a\n        title: ${a}${a}\n        http: {url: 'http://${a}/', expect: ['status == 200', 'latency < duration(\"1s\")']}\n",
	// A flow leaves its run-time names for the probe.
	"version: 1\nvars: {base: 'http://x'}\nsections:\n  - id: s\n    items:\n      - id: f\n        flow:\n          steps:\n            - name: one\n              request: {url: '${base}/a?id=${run_id}'}\n              capture: {tok: 'json.token'}\n            - name: two\n              request: {url: '${base}/b/${tok}'}\n",
}

// dumpChecklist spells out what a load produced, the documents and items
// as written included.
func dumpChecklist(t *testing.T, c *checklist.Checklist) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "name=%q sha=%s env=%q defaults=%+v secrets=%q needed=%q intrusive=%q signoff=%+v\n",
		c.Name, c.SHA256, c.Environment, c.Defaults, c.Secrets, c.NeededEnv, c.IntrusiveEnvironments, c.Signoff)
	for _, d := range c.Docs() {
		out, err := yaml.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "doc:\n%s", out)
	}
	for _, s := range c.Sections {
		fmt.Fprintf(&b, "section %q %q %q %s\n", s.ID, s.Title, s.Phase, dumpValue(reflect.ValueOf(s.MinPassRate)))
		for _, it := range s.Items {
			raw, err := yaml.Marshal(it.Raw)
			if err != nil {
				t.Fatal(err)
			}
			var exp []string
			for _, e := range it.Expect {
				exp = append(exp, e.Source)
			}
			fmt.Fprintf(&b, "  item %q %q %q %q %s %q %s %d %s %q %v %s %+v %q %d:%d %s\n  raw:\n%s",
				it.ID, it.Title, it.Description, it.Phase, it.Severity, it.Tags, it.Timeout, it.Retries, it.RetryDelay,
				it.DependsOn, it.Exclusive, it.Kind, it.Manual, exp, it.Line, it.Col, it.File, raw)
		}
	}
	return b.String()
}

// dumpValue spells out a probe's configuration through pointers (a
// function is only said to be there).
func dumpValue(v reflect.Value) string {
	switch v.Kind() {
	case reflect.Invalid:
		return "<invalid>"
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return "nil"
		}
		return "&" + dumpValue(v.Elem())
	case reflect.Func:
		return fmt.Sprintf("func(nil=%v)", v.IsNil())
	case reflect.Struct:
		var b strings.Builder
		b.WriteString(v.Type().String() + "{")
		for i := 0; i < v.NumField(); i++ {
			fmt.Fprintf(&b, "%s:%s ", v.Type().Field(i).Name, dumpValue(v.Field(i)))
		}
		return b.String() + "}"
	case reflect.Slice, reflect.Array:
		var b strings.Builder
		b.WriteString("[")
		for i := 0; i < v.Len(); i++ {
			b.WriteString(dumpValue(v.Index(i)) + " ")
		}
		return b.String() + "]"
	case reflect.Map:
		keys := v.MapKeys()
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, dumpValue(k)+":"+dumpValue(v.MapIndex(k)))
		}
		sort.Strings(parts)
		return "map[" + strings.Join(parts, " ") + "]"
	}
	if v.CanInterface() {
		return fmt.Sprintf("%#v", v.Interface())
	}
	return fmt.Sprint(v)
}
