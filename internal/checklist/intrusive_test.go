package checklist_test

import (
	"testing"

	"github.com/readyctl/readyctl/internal/checklist"
)

func TestIntrusiveAllowedPerEnvironment(t *testing.T) {
	src := []byte(`version: 1
name: t
environments:
  staging: {}
  production: {}
intrusive_environments: [staging]
sections:
  - id: s
    items:
      - {id: m, manual: {}}
`)
	for env, want := range map[string]bool{"": true, "staging": true, "production": false} {
		cl, err := checklist.Parse("t.yaml", src, checklist.Options{Env: env})
		if err != nil {
			t.Fatal(err)
		}
		if got := cl.IntrusiveAllowed(); got != want {
			t.Errorf("env %q: IntrusiveAllowed %v, want %v", env, got, want)
		}
	}
}
