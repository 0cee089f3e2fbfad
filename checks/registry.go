package checks

import (
	"fmt"
	"sort"
	"sync"
)

// Kind describes a registered probe kind.
type Kind struct {
	// Name is the YAML key that selects the kind, e.g. "http".
	Name string
	// New returns a fresh config pre-filled with the kind's defaults. It
	// must have no side effects.
	New func() Probe
	// Summary is one line for `readyctl probes`.
	Summary string
	// Example is a complete checklist item (YAML, starting with "- id:")
	// that uses the kind; `readyctl probes KIND` prints it and a test
	// loads every example through the real loader.
	Example string
	// Context names observations that explain any failed `expect:`
	// expression of this kind, such as the query a prometheus item sent;
	// the runner adds their values to the failure message.
	Context []string
	// Observations declares every value the kind measures: `expect:` is
	// type-checked against them at load and `readyctl probes KIND` lists
	// them.
	Observations []Observation
	// RunTimeNames, when set, lists the ${NAME} references that the
	// kind resolves itself at run time (a flow's ${run_id}, ${uuid} and
	// captured values), given the item's block as written (decoded
	// loosely, before interpolation). The loader leaves those references
	// (and $${ escapes) in the block as they are, and still refuses any
	// other name it cannot resolve. nil: the kind has none.
	RunTimeNames func(block map[string]any) []string

	decl *declarations // Observations indexed, set by Register
}

var (
	mu    sync.RWMutex
	kinds = map[string]Kind{}
)

// Register adds a kind. It is meant to be called from a package's init and
// panics on an empty or duplicate name or a missing factory, so that a bad
// build fails at start, not in the middle of a run.
func Register(k Kind) {
	mu.Lock()
	defer mu.Unlock()
	if k.Name == "" || k.New == nil {
		panic("checks: Register with empty name or nil factory")
	}
	if k.Name == "manual" {
		panic("checks: \"manual\" is reserved for items a person signs off")
	}
	if _, dup := kinds[k.Name]; dup {
		panic(fmt.Sprintf("checks: kind %q registered twice", k.Name))
	}
	k.decl = nil
	k.decl = declarationsOf(k)
	kinds[k.Name] = k
}

// Lookup returns the kind registered under name.
func Lookup(name string) (Kind, bool) {
	mu.RLock()
	defer mu.RUnlock()
	k, ok := kinds[name]
	return k, ok
}

// Names returns every registered kind name, sorted.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	names := make([]string, 0, len(kinds))
	for n := range kinds {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
