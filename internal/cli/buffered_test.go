package cli

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/readyctl/readyctl/internal/cmdutil"
)

// countingWriter counts the writes that reach it, as a file would count
// system calls.
type countingWriter struct {
	writes int
	strings.Builder
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	return w.Builder.Write(p)
}

// TestTablesAreWrittenInFewWrites: plan and list of a large checklist
// reach stdout in a few writes, not one per table cell (a system call
// each: most of `readyctl plan` of 10,000 items, issue 16).
func TestTablesAreWrittenInFewWrites(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	var sb strings.Builder
	sb.WriteString("version: 1\nname: big\nsections:\n  - id: s\n    items:\n")
	for i := range 2000 {
		fmt.Fprintf(&sb, "      - id: item-%d\n        tcp: {address: '127.0.0.1:%d'}\n", i, 1000+i)
	}
	path := writeFile(t, "c.yaml", sb.String())
	for _, cmd := range []string{"plan", "list"} {
		streams, _, errOut := cmdutil.TestIOStreams(false)
		out := &countingWriter{}
		streams.Out = out
		if code := Main(context.Background(), []string{cmd, "-f", path}, streams); code != ExitReady {
			t.Fatalf("%s: exit %d: %s", cmd, code, errOut)
		}
		if lines := strings.Count(out.String(), "\n"); lines != 2001 {
			t.Errorf("%s: %d lines, want a header and 2,000 items", cmd, lines)
		}
		if out.writes > 10 {
			t.Errorf("%s: %d writes to stdout, want a few", cmd, out.writes)
		}
	}
}
