package checklist_test

import (
	"fmt"
	"strings"
	"testing"

	_ "github.com/readyctl/readyctl/checks/all"
	"github.com/readyctl/readyctl/internal/checklist"
)

// Checklist500 returns a checklist of n items of mixed kinds, with
// variables, dependencies and expressions, as a large real one would have.
func checklistN(n int) []byte {
	var sb strings.Builder
	sb.WriteString("version: 1\nname: big\nvars:\n  api: http://127.0.0.1:8080\nsections:\n")
	for s := 0; s < n/50; s++ {
		fmt.Fprintf(&sb, "  - id: section-%d\n    title: Section %d\n    items:\n", s, s)
		for i := 0; i < 50; i++ {
			id := fmt.Sprintf("item-%d-%d", s, i)
			switch i % 3 {
			case 0:
				fmt.Fprintf(&sb, "      - id: %s\n        title: Service %s\n        tags: [health]\n        http:\n          url: ${api}/%s/health\n          status: [200, 204]\n          expect:\n            - json.status == \"ok\"\n            - latency < duration(\"500ms\")\n", id, id, id)
			case 1:
				fmt.Fprintf(&sb, "      - id: %s\n        depends_on: [item-%d-%d]\n        tcp: {address: \"127.0.0.1:%d\"}\n", id, s, i-1, 1000+i)
			default:
				fmt.Fprintf(&sb, "      - id: %s\n        severity: warning\n        manual: {roles: [qa-lead]}\n", id)
			}
		}
	}
	return []byte(sb.String())
}

func BenchmarkParse500(b *testing.B) {
	data := checklistN(500)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		if _, err := checklist.Parse("big.yaml", data, checklist.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseHTTP10000 loads the checklist of scripts/bench-scale.sh:
// 10,000 plain http items, the target through a variable (issue 16).
func BenchmarkParseHTTP10000(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("version: 1\nname: scale\nvars:\n  target: http://127.0.0.1:8080\nsections:\n  - id: scale\n    title: Scale\n    items:\n")
	for i := 1; i <= 10000; i++ {
		fmt.Fprintf(&sb, "      - id: item-%d\n        http: {url: \"${target}/item/%d\"}\n", i, i)
	}
	data := []byte(sb.String())
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := checklist.Parse("scale.yaml", data, checklist.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
