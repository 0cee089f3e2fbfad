package checklist_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/checklist"
)

// canary is what every ${env:...} resolves to in the fuzz targets: no
// error message may show it (or the pieces a URL parser cuts it into).
const canary = "C4nary-5ecret/x@y"

func fuzzSeeds() []string {
	return []string{
		"version: 1\nname: n\n" + tail,
		interp,
		expansionBomb(6),
		expansionBomb(9),
		aliasBomb(3, false),
		"version: 1\nname: x\nsections: &s\n  - id: s\n    items: *s\n",
		"version: 1\nsections:\n  - id: s\n    min_pass_rate: .nan\n    items:\n      - id: a\n        retries: 1.9\n        load: {url: 'http://x/', rate: .inf, duration: 1s}\n",
		"version: 1\nvars:\n  a: 1\n  a: 2\nenvironments:\n  p: {x: 1}\n  p: {x: 2}\n" + tail,
		"version: 1\n" + tail + "---\nversion: 1\n",
		"version: 1\nsections:\n  - id: x\n    title: a: b\n",
		"version: 1\nsections:\n  - id: s\n    items:\n      - id: a\n        http: {url: 'http://u:${env:P}@h/x', status: '${env:S}', headers: {A: '${env:T}', A: b}}\n      - id: b\n        prometheus: {url: 'http://admin:${env:P}@prom:9090/%zz', query: up}\n",
		"version: 1\nname: ${a}\nvars: {a: '${b}', b: '${a}'}\n" + tail,
		"version: 1\nsections:\n  - id: s\n    items:\n      - id: a\n        http:\n          url: http://x/\n          l0: &a [x, x, x, x, x, x, x, x]\n          l1: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n          l2: [*b, *b, *b, *b, *b, *b, *b, *b]\n",
		// include: read from the package directory (the fuzz target's
		// working directory): a Go file, a directory, a device, itself.
		"version: 1\ninclude: [fuzz_test.go, ., /dev/null, '', missing.yaml, testdata]\n" + tail,
		"version: 1\nsignoff:\n  roles: [{id: qa}]\n  require: [qa]\nsections:\n  - id: s\n    items:\n      - id: m\n        manual: {roles: [qa], instructions: \"${env:X}\"}\n",
	}
}

// FuzzParse loads arbitrary checklists in every mode: no panic, every
// problem is an Errors value, and no error shows a secret.
func FuzzParse(f *testing.F) {
	f.Cleanup(checklist.SetLimits(5000, 64<<10))
	for _, s := range fuzzSeeds() {
		f.Add(s, uint8(0))
		f.Add(s, uint8(1))
		f.Add(s, uint8(2))
	}
	f.Fuzz(func(t *testing.T, src string, mode uint8) {
		opts := checklist.Options{
			LookupEnv:   func(string) (string, bool) { return canary, true },
			Definitions: mode%3 == 1,
			NoEnv:       mode%3 == 2,
		}
		if opts.NoEnv {
			opts.LookupEnv = func(string) (string, bool) { return "", false }
		}
		cl, err := checklist.Parse("f.yaml", []byte(src), opts)
		if err != nil {
			var es checklist.Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("error %T %v is not checklist.Errors", err, err)
			}
			for _, leak := range []string{"C4nary", "5ecret"} {
				if strings.Contains(err.Error(), leak) {
					t.Fatalf("error shows the secret: %v", err)
				}
			}
			return
		}
		if cl == nil {
			t.Fatal("nil checklist without error")
		}
		for _, it := range cl.Items() {
			if !opts.Definitions && !opts.NoEnv && it.Kind != "manual" && it.Probe == nil {
				t.Fatalf("item %q loaded without a probe", it.ID)
			}
		}
	})
}

// FuzzDecodeBlock decodes arbitrary probe blocks strictly into every
// kind's configuration: no panic, no hang on aliases.
func FuzzDecodeBlock(f *testing.F) {
	f.Cleanup(checklist.SetLimits(5000, 64<<10))
	for _, s := range []string{
		"url: http://x/\nstatus: [200, 204]\nheaders: {A: b}\n",
		"url: http://x/\nheaders: {A: b, A: c}\n",
		"rate: .nan\nduration: 1s\n",
		"retries: 1.9\n",
		"a: &a [x, x, x, x]\nb: &b [*a, *a, *a, *a]\nc: [*b, *b, *b, *b]\n",
		"a: &a [*a]\n",
		"tls: {min_version: TLS1.3}\naddress: 127.0.0.1:1\n",
		"query: select 1\nmax_rows: 1e3\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		for _, name := range checks.Names() {
			k, _ := checks.Lookup(name)
			_ = checklist.DecodeBlock(src, k.New())
		}
	})
}
