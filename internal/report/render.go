package report

import (
	"fmt"
	"io"
	"sort"
	"sync"
)

// Options tune how a renderer presents the model; none changes what it says.
type Options struct {
	Color   bool // ANSI colours (terminal, NO_COLOR unset)
	Verbose bool // every observation, not just the key ones
	// Quiet (text): only the problems and the verdict, for large runs.
	Quiet bool
}

// Renderer writes a report in one format.
type Renderer func(w io.Writer, r *Report, o Options) error

var (
	mu        sync.RWMutex
	renderers = map[string]Renderer{}
)

// Register adds a format; it panics on a duplicate name (a build bug).
func Register(name string, f Renderer) {
	mu.Lock()
	defer mu.Unlock()
	if _, dup := renderers[name]; dup || name == "" {
		panic(fmt.Sprintf("report: renderer %q registered twice or unnamed", name))
	}
	renderers[name] = f
}

// Lookup returns the renderer for a format name.
func Lookup(name string) (Renderer, bool) {
	mu.RLock()
	defer mu.RUnlock()
	f, ok := renderers[name]
	return f, ok
}

// Formats lists the format names, sorted.
func Formats() []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(renderers))
	for n := range renderers {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
