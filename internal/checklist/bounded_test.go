package checklist_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/readyctl/readyctl/checks/httpcheck"
	"github.com/readyctl/readyctl/internal/checklist"
)

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// parseErr parses src and returns its error, which must be Errors.
func parseErr(t *testing.T, src string, opts checklist.Options) error {
	t.Helper()
	if opts.LookupEnv == nil {
		opts.LookupEnv = func(string) (string, bool) { return "", false }
	}
	_, err := checklist.Parse("c.yaml", []byte(src), opts)
	if err == nil {
		t.Fatalf("no error for\n%s", src)
	}
	var es checklist.Errors
	if !errors.As(err, &es) {
		t.Fatalf("error type %T, want checklist.Errors: %v", err, err)
	}
	return err
}

func wantErr(t *testing.T, err error, want string) {
	t.Helper()
	if !strings.Contains(err.Error(), want) {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

const tail = "sections:\n  - id: s\n    items:\n      - id: a\n        tcp: {address: \"127.0.0.1:1\"}\n"

// expansionBomb: each variable references the next ten times; levels
// levels of that make 10^levels copies of the last one.
func expansionBomb(levels int) string {
	var b strings.Builder
	b.WriteString("version: 1\nname: ${v0}\nvars:\n")
	for i := 0; i < levels; i++ {
		fmt.Fprintf(&b, "  v%d: \"%s\"\n", i, strings.Repeat(fmt.Sprintf("${v%d}", i+1), 10))
	}
	fmt.Fprintf(&b, "  v%d: xxxxxxxxxx\n", levels)
	return b.String() + tail
}

// TestExpansionBudget: a few hundred bytes of variables cannot expand to
// gigabytes; the load stops at the budget, at the scalar, in bounded
// memory. Today's loader accepts the 10 MB name (and at 8 levels takes
// 24 s and 3.9 GB).
func TestExpansionBudget(t *testing.T) {
	src := expansionBomb(6) // 10 MB: past the 4 MiB budget
	var err error
	mem := allocated(func() { err = parseErr(t, src, checklist.Options{}) })
	wantErr(t, err, "c.yaml:2:7: expansion too large")
	if n := strings.Count(err.Error(), "expansion too large"); n != 1 {
		t.Errorf("%d budget errors, want 1:\n%v", n, err)
	}
	if mem > 64<<20 {
		t.Errorf("allocated %d MB refusing the file", mem>>20)
	}
	// Nine levels (a terabyte) costs no more.
	mem = allocated(func() { err = parseErr(t, expansionBomb(9), checklist.Options{}) })
	wantErr(t, err, "expansion too large")
	if mem > 64<<20 {
		t.Errorf("allocated %d MB refusing 9 levels", mem>>20)
	}
}

// TestVariablesResolvedOnce: a variable used many times is expanded once.
func TestVariablesResolvedOnce(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\nvars:\n  tok: ${env:TOKEN}\n  h: \"Bearer ${tok}\"\nsections:\n  - id: s\n    items:\n")
	for i := 0; i < 50; i++ {
		fmt.Fprintf(&b, "      - id: a%d\n        http: {url: 'http://x/', headers: {Authorization: '${h}', X-T: '${tok}'}}\n", i)
	}
	lookups := 0
	cl, err := checklist.Parse("c.yaml", []byte(b.String()), checklist.Options{LookupEnv: func(k string) (string, bool) {
		lookups++
		return "tok-123", true
	}})
	if err != nil {
		t.Fatal(err)
	}
	if lookups != 1 {
		t.Errorf("TOKEN looked up %d times, want 1", lookups)
	}
	if p := cl.Items()[49].Probe.(*httpcheck.Probe); p.Headers["Authorization"] != "Bearer tok-123" {
		t.Errorf("headers %v", p.Headers)
	}
}

// TestVariableLoops: a loop is found whatever its length, and a long
// chain that is not a loop is fine.
func TestVariableLoops(t *testing.T) {
	err := parseErr(t, "version: 1\nname: ${a}\nvars: {a: '${b}', b: '${c}', c: '${a}'}\n"+tail, checklist.Options{})
	wantErr(t, err, "refers to itself (loop)")
	var b strings.Builder
	b.WriteString("version: 1\nname: ${v0}\nvars:\n")
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&b, "  v%d: ${v%d}\n", i, i+1)
	}
	b.WriteString("  v20: end\n" + tail)
	cl, err := checklist.Parse("c.yaml", []byte(b.String()), checklist.Options{})
	if err != nil || cl.Name != "end" {
		t.Fatalf("chain of 20: %v", err)
	}
}

func aliasBomb(items int, definitions bool) string {
	var b strings.Builder
	b.WriteString("version: 1\nsections:\n  - id: s\n    items:\n")
	tags := make([]string, 1000)
	for i := range tags {
		tags[i] = fmt.Sprintf("t%d", i)
	}
	fmt.Fprintf(&b, "      - id: i0\n        tags: &t [%s]\n        tcp: {address: \"127.0.0.1:1\"}\n", strings.Join(tags, ","))
	for i := 1; i < items; i++ {
		fmt.Fprintf(&b, "      - id: i%d\n        tags: *t\n        tcp: {address: \"127.0.0.1:1\"}\n", i)
	}
	return b.String()
}

// TestAliasBudget: one anchor reused by many items cannot make the
// strict decoder (or anything that follows aliases) walk millions of
// nodes, in either mode.
func TestAliasBudget(t *testing.T) {
	for _, defs := range []bool{false, true} {
		var err error
		mem := allocated(func() { err = parseErr(t, aliasBomb(300, defs), checklist.Options{Definitions: defs}) })
		wantErr(t, err, "document too large: more than 200000 YAML nodes")
		if !strings.HasPrefix(err.Error(), "c.yaml:") || strings.HasPrefix(err.Error(), "c.yaml: ") {
			t.Errorf("no position: %v", err)
		}
		if mem > 64<<20 {
			t.Errorf("definitions=%v: allocated %d MB", defs, mem>>20)
		}
	}
	// Under the budget, aliases still work.
	if _, err := checklist.Parse("c.yaml", []byte(aliasBomb(20, false)), checklist.Options{}); err != nil {
		t.Fatal(err)
	}
}

// TestBillionLaughsInProbeBlock: the sign-off commands load with
// Definitions and never decode probe blocks; a billion laughs there is
// still refused, at once.
func TestBillionLaughsInProbeBlock(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\nsections:\n  - id: s\n    items:\n      - id: a\n        http:\n          url: http://x/\n          headers:\n            X-0: &l0 lol\n")
	b.WriteString("          l0: &a0 [*l0, *l0, *l0, *l0, *l0, *l0, *l0, *l0, *l0, *l0]\n")
	for i := 1; i < 9; i++ {
		fmt.Fprintf(&b, "          l%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	b.WriteString("      - id: m\n        manual: {roles: [qa]}\n")
	for _, defs := range []bool{true, false} {
		err := parseErr(t, b.String(), checklist.Options{Definitions: defs})
		wantErr(t, err, "document too large")
	}
}

// TestAliasCycle: an anchor whose content refers to itself is an error,
// not a stack overflow.
func TestAliasCycle(t *testing.T) {
	src := "version: 1\nname: x\nsections: &s\n  - id: s\n    items: *s\n"
	_, err := checklist.Parse("c.yaml", []byte(src), checklist.Options{})
	if err == nil {
		t.Fatal("accepted a cyclic alias")
	}
	wantErr(t, err, "refers to a node that contains it")
}

// TestFileSizeCap: Load reads at most MaxFileSize (+1) bytes of a file.
func TestFileSizeCap(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.yaml")
	big := "version: 1\nname: big\ndescription: \"" + strings.Repeat("x", 16<<20) + "\"\n" + tail
	if err := os.WriteFile(path, []byte(big), 0o600); err != nil {
		t.Fatal(err)
	}
	var err error
	mem := allocated(func() { _, err = checklist.Load(path, checklist.Options{}) })
	var es checklist.Errors
	if !errors.As(err, &es) || !strings.Contains(err.Error(), "larger than 1 MiB") {
		t.Fatalf("got %v", err)
	}
	if mem > 8<<20 {
		t.Errorf("allocated %d MB for a 16 MB file", mem>>20)
	}
	_, err = checklist.Parse("c.yaml", make([]byte, checklist.MaxFileSize+1), checklist.Options{})
	wantErr(t, err, "c.yaml: checklist file larger than 1 MiB")
}

func TestStrictScalars(t *testing.T) {
	item := "version: 1\nsections:\n  - id: s\n    min_pass_rate: %s\n    items:\n      - id: a\n        retries: %s\n        %s\n"
	for _, c := range []struct{ name, src, want string }{
		{"nan rate", fmt.Sprintf(item, ".nan", "1", "tcp: {address: '127.0.0.1:1'}"), `c.yaml:4:20: min_pass_rate: expected a finite number, got ".nan"`},
		{"inf rate", fmt.Sprintf(item, "-.Inf", "1", "tcp: {address: '127.0.0.1:1'}"), `min_pass_rate: expected a finite number, got "-.Inf"`},
		{"nan in a probe block", fmt.Sprintf(item, "1", "1", "load: {url: 'http://x/', rate: .nan, duration: 1s}"), `load.rate: expected a finite number, got ".nan"`},
		{"retries 1.9", fmt.Sprintf(item, "1", "1.9", "tcp: {address: '127.0.0.1:1'}"), `c.yaml:7:18: item "a": retries: expected an integer, got "1.9"`},
		{"retries 1e1", fmt.Sprintf(item, "1", "1e1", "tcp: {address: '127.0.0.1:1'}"), `retries: expected an integer, got "1e1"`},
	} {
		t.Run(c.name, func(t *testing.T) { wantErr(t, parseErr(t, c.src, checklist.Options{}), c.want) })
	}
	src := "version: 1\ndefaults: {retries: 2.5}\n" + tail
	wantErr(t, parseErr(t, src, checklist.Options{}), `defaults.retries: expected an integer, got "2.5"`)
}

func TestDuplicateKeys(t *testing.T) {
	for _, c := range []struct{ name, src, want string }{
		{"vars", "version: 1\nvars:\n  api: a\n  api: b\n" + tail, `c.yaml:4:3: vars: key "api" given twice (first on line 3)`},
		{"environments", "version: 1\nenvironments:\n  prod: {a: 1}\n  prod: {a: 2}\n" + tail, `c.yaml:4:3: environments: key "prod" given twice (first on line 3)`},
		{"environment vars", "version: 1\nenvironments:\n  prod:\n    a: 1\n    a: 2\n" + tail, `c.yaml:5:5: environments.prod: key "a" given twice (first on line 4)`},
		{"headers", "version: 1\nsections:\n  - id: s\n    items:\n      - id: a\n        http:\n          url: http://x/\n          headers:\n            X-A: one\n            X-A: two\n",
			`c.yaml:10:13: item "a": http.headers: key "X-A" given twice (first on line 9)`},
	} {
		t.Run(c.name, func(t *testing.T) { wantErr(t, parseErr(t, c.src, checklist.Options{}), c.want) })
	}
}

func TestOneDocument(t *testing.T) {
	err := parseErr(t, "version: 1\n"+tail+"---\nversion: 1\n", checklist.Options{})
	wantErr(t, err, "c.yaml:8:1: a second YAML document")
	err = parseErr(t, "version: 1\n"+tail+"---\n", checklist.Options{})
	wantErr(t, err, "a second YAML document")
}

func TestSyntaxErrorColumn(t *testing.T) {
	err := parseErr(t, "version: 1\nsections:\n  - id: x\n    title: a: b\n", checklist.Options{})
	es := err.(checklist.Errors)
	if es[0].Line != 4 || es[0].Col != 5 {
		t.Errorf("no line and column: %+v", es[0])
	}
	wantErr(t, err, "YAML syntax error")
	// The empty file is not a syntax error.
	wantErr(t, parseErr(t, "", checklist.Options{}), "c.yaml:1:1: a checklist is a mapping")
}

// TestErrorsMaskSecrets: no error message quotes a value from ${env:...},
// whatever form the message quotes it in.
func TestErrorsMaskSecrets(t *testing.T) {
	src := `version: 1
sections:
  - id: s
    items:
      - id: a
        http: {url: 'http://x/', status: '${env:S1}'}
      - id: b
        prometheus: {url: 'http://admin:${env:S2}@prom:9090/%zz', query: up}
      - id: c
        http: {url: 'http://admin:${env:S3}@host/x'}
      - id: d
        tcp: {address: '${env:S3}'}
      - id: e
        http: {url: 'http://x/', headers: {X-A: '${env:S1}'}, method: '${env:S4}'}
`
	env := map[string]string{"S1": "S3cr3t", "S2": "pa ss%word", "S3": "Pa55/w0rd", "S4": "GET\x1b\"x"}
	err := parseErr(t, src, checklist.Options{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	msg := err.Error()
	for _, leak := range []string{"S3cr3t", "pa ss", "ss%word", "Pa55", "w0rd", `GET\x1b\"x`} {
		if strings.Contains(msg, leak) {
			t.Errorf("error shows %q:\n%s", leak, msg)
		}
	}
	// A URL parse error elides the quoted piece ("…") rather than masking it.
	if strings.Count(msg, "***")+strings.Count(msg, `"…"`) < 4 {
		t.Errorf("expected masks:\n%s", msg)
	}
}

// TestNoEnv: linting without secrets accepts unset ${env:X}, lists what a
// real run needs, and reports nothing about values that depend on them.
func TestNoEnv(t *testing.T) {
	src := `version: 1
name: ${env:NAME:-default-name}
vars:
  token: ${env:TOKEN}
sections:
  - id: s
    items:
      - id: a
        title: Health of ${env:REGION}
        http:
          url: ${env:BASE_URL}/health
          status: ${env:STATUS}
          headers: {Authorization: "Bearer ${token}"}
      - id: b
        tcp: {address: "${env:TOKEN}"}
`
	cl, err := checklist.Parse("c.yaml", []byte(src), checklist.Options{NoEnv: true, LookupEnv: func(k string) (string, bool) {
		return "eu-1", k == "REGION"
	}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"BASE_URL", "STATUS", "TOKEN"}; !reflect.DeepEqual(cl.NeededEnv, want) {
		t.Errorf("NeededEnv %v, want %v", cl.NeededEnv, want)
	}
	if cl.Items()[0].Title != "Health of eu-1" || cl.Name != "default-name" {
		t.Errorf("title %q name %q", cl.Items()[0].Title, cl.Name)
	}
	// Without NoEnv, the same file is refused, once per failed value.
	_, err = checklist.Parse("c.yaml", []byte(src), checklist.Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if err == nil {
		t.Fatal("strict mode accepted unset variables")
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		if !strings.Contains(line, "is not set") {
			t.Errorf("a second error about a failed interpolation: %s", line)
		}
	}
	if n := len(err.(checklist.Errors)); n != 5 {
		t.Errorf("%d errors, want 5 (one per failed value):\n%v", n, err)
	}
}

// TestOneErrorPerFailedInterpolation: `status: ${env:X}` unset says so
// once, not again as `status "${env:X}": expected a code`.
func TestOneErrorPerFailedInterpolation(t *testing.T) {
	src := "version: 1\nsections:\n  - id: s\n    items:\n      - id: a\n        retries: ${env:R}\n        timeout: '${nope}'\n        http: {url: '${env:U}', status: '${env:X}'}\n"
	err := parseErr(t, src, checklist.Options{})
	es := err.(checklist.Errors)
	if len(es) != 4 || strings.Contains(err.Error(), "expected") {
		t.Errorf("want 4 interpolation errors only, got:\n%v", err)
	}
}

// TestFieldsWalker: probes documentation and the decoder see the same
// fields.
func TestFieldsWalker(t *testing.T) {
	fields := checklist.Fields(httpcheck.New())
	var top []string
	byPath := map[string]checklist.FieldInfo{}
	for _, f := range fields {
		byPath[f.Path] = f
		if !strings.Contains(f.Path, ".") {
			top = append(top, f.Name)
		}
	}
	if want := checklist.FieldNames(reflect.TypeOf(httpcheck.New())); !reflect.DeepEqual(top, want) {
		t.Errorf("Fields top level %v\nFieldNames %v", top, want)
	}
	if f := byPath["url"]; f.Type != "string" || f.Doc == "" {
		t.Errorf("url: %+v", f)
	}
	if f := byPath["timeout"]; f.Name != "" && f.Type != "duration" {
		t.Errorf("timeout: %+v", f)
	}
	for _, f := range fields {
		if f.Block && !strings.Contains(strings.Join(keysOf(byPath), " "), f.Path+".") {
			t.Errorf("block %s has no fields", f.Path)
		}
	}
}

func keysOf(m map[string]checklist.FieldInfo) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestDefinitionsKeepTheirErrors: Definitions ignores interpolation
// failures, so what they hide is still checked (a malformed id).
func TestDefinitionsKeepTheirErrors(t *testing.T) {
	src := "version: 1\nsections:\n  - id: s\n    items:\n      - id: ${env:NOPE}\n        manual: {}\n"
	wantErr(t, parseErr(t, src, checklist.Options{Definitions: true}), `malformed id "${env:NOPE}"`)
}
