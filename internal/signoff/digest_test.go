package signoff

import (
	"testing"

	"github.com/readyctl/readyctl/internal/checklist"

	_ "github.com/readyctl/readyctl/checks/httpcheck"
)

func loadItem(t *testing.T, item string) *checklist.Item {
	t.Helper()
	c, err := checklist.Parse("c.yaml", []byte("version: 1\nname: d\nsections:\n  - id: s\n    items:\n"+item), checklist.Options{Definitions: true})
	if err != nil {
		t.Fatal(err)
	}
	return c.Items()[0]
}

func TestItemDigest(t *testing.T) {
	base := `      - id: api
        title: API answers
        severity: critical
        http:
          url: ${api}/health
          status: 200
`
	digest := func(src string) string {
		d, err := ItemDigest(loadItem(t, src))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	want := digest(base)
	same := map[string]string{
		"flow style and order": "      - {http: {status: 200, url: \"${api}/health\"}, title: 'API answers', id: api, severity: critical}\n",
		"comments and spacing": "      # the API\n      - id:   api   # id\n        title: \"API answers\"\n        severity: critical\n        http:\n\n          url: ${api}/health\n          status: 200\n",
		"operational fields":   base + "        tags: [health]\n        timeout: 5s\n        retries: 2\n        depends_on: []\n        phase: pre-deploy\n",
		"severity changed":     "      - id: api\n        title: API answers\n        severity: warning\n        http:\n          url: ${api}/health\n          status: 200\n",
	}
	for name, src := range same {
		if got := digest(src); got != want {
			t.Errorf("%s: digest changed", name)
		}
	}
	differ := map[string]string{
		"title":       "      - id: api\n        title: API answers!\n        http:\n          url: ${api}/health\n          status: 200\n",
		"probe value": "      - id: api\n        title: API answers\n        http:\n          url: ${api}/healthz\n          status: 200\n",
		"status type": "      - id: api\n        title: API answers\n        http:\n          url: ${api}/health\n          status: \"200\"\n",
		"new expect":  base + "          expect: ['json.ok']\n",
		"description": base + "        description: now with a note\n",
	}
	for name, src := range differ {
		if got := digest(src); got == want {
			t.Errorf("%s: digest did not change", name)
		}
	}
}
