// Package checklist loads a readyctl checklist: YAML decoding (strict),
// `${...}` interpolation, probe configuration and validation, with every
// problem reported as FILE:LINE:COL. It does no network I/O, ever.
package checklist

import (
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/readyctl/readyctl/checks"
)

// Severity says whether an item blocks the verdict.
type Severity string

const (
	Critical Severity = "critical"
	Warning  Severity = "warning"
	Info     Severity = "info"
)

// Checklist is a loaded, interpolated and validated checklist.
type Checklist struct {
	Path        string
	SHA256      string // of the file's bytes
	Name        string
	Environment string // the --env selected, "" for none
	Defaults    Defaults
	Sections    []*Section
	// Secrets are the values that came from ${env:...}: every output
	// shows them as ***.
	Secrets []string
	// NeededEnv are the environment variables a real run needs that were
	// unset in an Options.NoEnv load (sorted, unique).
	NeededEnv []string
	// Doc is the document as written, before interpolation, for tools that
	// need a definition's canonical form (sign-off digests).
	Doc *yaml.Node
	// Includes are the files `include:` pulled in, in load order; SHA256
	// then covers them too (include.go).
	Includes []Include
	// Signoff is the `signoff:` policy block (zero when absent).
	Signoff SignoffPolicy
	// IntrusiveEnvironments is the `intrusive_environments:` list.
	IntrusiveEnvironments []string
}

// IntrusiveAllowed reports whether intrusive probes may run in the
// selected environment: always without --env (the defaults are never
// production), else only in an environment that opted in.
func (c *Checklist) IntrusiveAllowed() bool {
	if c.Environment == "" {
		return true
	}
	for _, e := range c.IntrusiveEnvironments {
		if e == c.Environment {
			return true
		}
	}
	return false
}

// Defaults apply to every item that does not say otherwise.
type Defaults struct {
	Timeout    time.Duration `yaml:"timeout" doc:"per attempt"`
	Retries    int           `yaml:"retries"`
	RetryDelay time.Duration `yaml:"retry_delay"`
	Severity   Severity      `yaml:"severity"`
}

// Section groups items; min_pass_rate makes the section itself a gate.
type Section struct {
	ID          string
	Title       string
	Phase       string
	MinPassRate *float64
	Items       []*Item
}

// Item is one check: a probe of some kind, or a manual item.
type Item struct {
	ID          string
	Title       string
	Description string
	Section     *Section
	Phase       string // the item's own, else its section's
	Severity    Severity
	Tags        []string
	Timeout     time.Duration
	Retries     int
	RetryDelay  time.Duration
	DependsOn   []string
	// Exclusive items run alone: nothing else runs meanwhile (load items
	// by default).
	Exclusive bool
	exclusive *bool // as written

	Kind   string       // probe kind name, or "manual"
	Probe  checks.Probe // nil for manual items
	Manual *Manual      // nil for probe items
	Expect []*Expectation

	Line, Col int
	// File is the file the item is written in: the checklist's path, or
	// the included file's (include.go).
	File string
	// Raw is the item's mapping as written (before interpolation).
	Raw *yaml.Node
}

// Manual is the block of an item that only a person can confirm.
type Manual struct {
	Roles        []string `yaml:"roles" doc:"role ids that may attest this item"`
	Instructions string   `yaml:"instructions" doc:"what the person must check before signing off"`
}

// Items returns every item in checklist order.
func (c *Checklist) Items() []*Item {
	var out []*Item
	for _, s := range c.Sections {
		out = append(out, s.Items...)
	}
	return out
}
