package checklist

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Loading runs in four steps, each its own function: document (bytes to
// one bounded YAML tree), header (version, name, defaults), resolver
// (vars, environments, --var) and sections (items and their probes).

// The fields of the file outside sections; decoded strictly.
type fileSpec struct {
	Version      *int                         `yaml:"version"`
	Name         string                       `yaml:"name"`
	Description  string                       `yaml:"description"`
	Vars         map[string]string            `yaml:"vars"`
	Environments map[string]map[string]string `yaml:"environments"`
	Defaults     Defaults                     `yaml:"defaults"`
	Sections     []yaml.Node                  `yaml:"sections"`
	Signoff      yaml.Node                    `yaml:"signoff"`
	// IntrusiveEnvironments are the environments where intrusive probes
	// (load, rate-limit bursts, injection canaries) may run.
	IntrusiveEnvironments []string `yaml:"intrusive_environments"`
	// Include lists other files whose sections, vars, environments and
	// signoff policy this one pulls in (include.go).
	Include []string `yaml:"include" doc:"files whose sections, vars, environments and signoff policy this checklist pulls in (paths relative to this file; an id or variable defined in two files is an error)"`
}

// document parses data as exactly one YAML document whose walk, aliases
// followed, stays within what is left of the load's node budget (MaxNodes
// for the checklist and its includes together), and returns it (a
// DocumentNode whose root is a mapping); nil when there is none (errors
// recorded). plain says the document has no alias: every node in it has
// one parent, so interpolation can copy what it changes instead of the
// whole document being copied first (see source.plain).
func (l *loader) document(data []byte) (doc *yaml.Node, plain bool) {
	d, aliases := l.parseDocument(data)
	return d, d != nil && !aliases && !copyDocuments
}

// copyDocuments treats every document as one with aliases; tests set it
// to compare the two ways of loading.
var copyDocuments = false

func (l *loader) parseDocument(data []byte) (*yaml.Node, bool) {
	if len(data) > MaxFileSize {
		l.report(nil, 0, fmt.Sprintf("checklist file larger than %d MiB, the most readyctl reads", MaxFileSize>>20))
		return nil, false
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		l.syntaxError(err, data)
		return nil, false
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		at := &extra
		if len(extra.Content) > 0 {
			at = extra.Content[0]
		}
		l.report(at, 0, "a second YAML document: a checklist is one document (remove the ---)")
		return nil, false
	case !errors.Is(err, io.EOF):
		l.syntaxError(err, data)
		return nil, false
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		l.report(&doc, 1, "a checklist is a mapping with version, name and sections")
		if doc.Line == 0 {
			l.errs[len(l.errs)-1].Line = 1
		}
		return nil, false
	}
	// Every walker below follows aliases; this bounds them all, in every
	// mode (Definitions too), before any of them runs.
	n, aliases, err := countNodes(&doc, l.nodesLeft)
	if err != nil {
		var nle *NodeLimitError
		errors.As(err, &nle)
		nle.Limit = maxNodes
		l.report(nle.Node, 0, err.Error())
		return nil, false
	}
	l.nodesLeft -= n
	return &doc, aliases
}

func (l *loader) syntaxError(err error, data []byte) {
	line, col, msg := yamlSyntaxError(err, data)
	l.errs = append(l.errs, &Error{File: l.path, Line: line, Col: col, Msg: msg})
}

// header decodes the fields outside sections and sets c's version-level
// fields and defaults.
func (l *loader) header(root *yaml.Node, c *Checklist) fileSpec {
	var spec fileSpec
	l.decode(root, &spec, "")
	switch {
	case spec.Version == nil:
		l.errAt(root, 1, "version is missing: add `version: 1` at the top")
	case *spec.Version != 1:
		l.errAt(valueNode(root, "version"), 0, fmt.Sprintf("unsupported version %d: this readyctl reads version 1", *spec.Version))
	}
	c.Name = spec.Name
	c.IntrusiveEnvironments = spec.IntrusiveEnvironments
	c.Defaults = Defaults{Timeout: 10 * time.Second, RetryDelay: time.Second, Severity: Critical}
	if d := spec.Defaults; true {
		if d.Timeout > 0 {
			c.Defaults.Timeout = d.Timeout
		}
		if d.RetryDelay > 0 {
			c.Defaults.RetryDelay = d.RetryDelay
		}
		c.Defaults.Retries = d.Retries
		if d.Severity != "" {
			c.Defaults.Severity = d.Severity
		}
	}
	if dn := valueNode(root, "defaults"); dn != nil {
		l.checkDefaultsTimeout(dn, spec.Defaults)
		l.checkSeverity(valueNode(dn, "severity"), c.Defaults.Severity)
		l.checkRetries(valueNode(dn, "retries"), c.Defaults.Retries)
	}
	return spec
}

// resolver builds the interpolation of this load (--var > environments[--env]
// > vars) and interpolates the checklist's name with it.
func (l *loader) resolver(root *yaml.Node, plain bool, spec *fileSpec, c *Checklist, opts Options) *resolver {
	layers := []map[string]string{opts.Vars}
	if opts.Env != "" {
		env, ok := spec.Environments[opts.Env]
		if !ok {
			known := make([]string, 0, len(spec.Environments))
			for k := range spec.Environments {
				known = append(known, k)
			}
			sort.Strings(known)
			msg := fmt.Sprintf("environment %q is not defined under environments:", opts.Env)
			if len(known) > 0 {
				msg += " (defined: " + strings.Join(known, ", ") + ")"
			}
			l.errAt(valueNodeOr(root, "environments"), 0, msg)
		}
		layers = append(layers, env)
	}
	layers = append(layers, spec.Vars)
	r := newResolver(opts, l.tainted, layers...)
	if nameNode := valueNode(root, "name"); nameNode != nil && !opts.Definitions {
		if plain {
			// The document stays as written (source.plain).
			own := *nameNode
			nameNode = &own
			r.interpolateOwn(nameNode, l.report)
		} else {
			r.interpolate(nameNode, l.report)
		}
		c.Name = nameNode.Value
	}
	return r
}
