package checklist

import (
	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/expect"
)

// The expression engine lives in internal/expect (flow steps compile their
// captures with it too); these names keep the loader's callers unchanged.

// Expectation is one compiled `expect:` expression.
type Expectation = expect.Expectation

// ErrEvalStopped is returned (wrapped) by Eval when the evaluation did not
// finish within the attempt's deadline or was interrupted.
var ErrEvalStopped = expect.ErrEvalStopped

// CompileExpectation is expect.Compile.
func CompileExpectation(src string, decls []checks.Observation) (*Expectation, error) {
	return expect.Compile(src, decls)
}

// FormatValue renders an observed value compactly for messages.
func FormatValue(v any) string { return expect.FormatValue(v) }

// Suggest returns the candidate nearest to s by edit distance, or "" when
// none is close enough to be a likely typo.
func Suggest(s string, candidates []string) string { return expect.Suggest(s, candidates) }
