package checklist

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/expect"
)

// Options select how a checklist is interpolated.
type Options struct {
	Env  string            // --env: which environments: entry overrides vars
	Vars map[string]string // --var KEY=VALUE, highest precedence
	// LookupEnv reads the process environment; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// Definitions loads the checklist as written, for tools that need
	// ids, titles, manual blocks and the sign-off policy but run no probe
	// (sign-off commands): no ${...} is resolved, no probe is configured.
	Definitions bool
	// NoEnv lints without secrets: an unset ${env:X} (without a default)
	// is accepted, stands for itself, and is listed in
	// Checklist.NeededEnv; problems in values that depend on it are not
	// reported.
	NoEnv bool
}

// ErrNotFound wraps a checklist file that cannot be read.
var ErrNotFound = errors.New("checklist not found")

// Load reads, interpolates and validates the checklist at path. Problems
// with the file's content come back as Errors (all of them at once).
func Load(path string, opts Options) (*Checklist, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s (use -f to name another file)", ErrNotFound, path)
		}
		return nil, fmt.Errorf("read checklist: %w", err)
	}
	defer f.Close()
	// One byte past the cap is enough for Parse to refuse the file.
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read checklist: %w", err)
	}
	return Parse(path, data, opts)
}

// maxSuggestions bounds the "did you mean" searches over all item ids.
const maxSuggestions = 50

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// validID is idPattern.MatchString without the regexp machine, for the
// id of every item.
func validID(s string) bool {
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !('a' <= b && b <= 'z' || '0' <= b && b <= '9' || b == '-' && i > 0) {
			return false
		}
	}
	return s != ""
}

// The fields every item has, whatever its kind.
type itemSpec struct {
	ID          string         `yaml:"id"`
	Title       string         `yaml:"title"`
	Description string         `yaml:"description"`
	Phase       string         `yaml:"phase"`
	Severity    Severity       `yaml:"severity"`
	Tags        []string       `yaml:"tags"`
	Timeout     *time.Duration `yaml:"timeout"`
	Retries     *int           `yaml:"retries"`
	RetryDelay  *time.Duration `yaml:"retry_delay"`
	DependsOn   []string       `yaml:"depends_on"`
	Exclusive   *bool          `yaml:"exclusive"`
}

// ItemFields are the keys every item may have besides its kind key.
var ItemFields = FieldNames(reflect.TypeOf(itemSpec{}))

type loader struct {
	path string
	errs Errors
	item string // id of the item being loaded, for messages

	definitions bool // Options.Definitions
	// tainted values hold no real value (failed interpolation, NoEnv
	// placeholder): the interpolation spoke for them, nothing else does.
	tainted map[*yaml.Node]bool
	// defaultTimeoutSet: the file wrote defaults.timeout (see timeouts.go).
	defaultTimeoutSet bool

	// What is left of the load's budgets: the root and its includes
	// share them (include.go).
	bytesLeft, nodesLeft int
	// sources are the files read, the root first (include.go).
	sources        []*source
	includeDocs    []Include
	includeEntries int
	// itemFile is the file of each item, once all are loaded: checks
	// across items (dependencies, roles) report in the item's file.
	itemFile map[string]string

	spec itemSpec // the item being loaded (loadItem)
	// envs are the expression environments of the kinds met, by name:
	// built from the kind's declarations alone, and read only, so every
	// item of a kind shares one (building one per item was most of what
	// loading 500 items with expect: allocated).
	envs map[string]*expect.Env
}

func (l *loader) exprEnv(name string, kind checks.Kind) *expect.Env {
	if e, ok := l.envs[name]; ok {
		return e
	}
	if l.envs == nil {
		l.envs = map[string]*expect.Env{}
	}
	e := expect.NewEnv(kind.Observations)
	l.envs[name] = e
	return e
}

// errAt records a problem at n, unless n's value is tainted.
func (l *loader) errAt(n *yaml.Node, col int, msg string) {
	if n != nil && l.tainted[n] {
		return
	}
	l.report(n, col, msg)
}

func (l *loader) report(n *yaml.Node, col int, msg string) {
	file := l.path
	if f, ok := l.itemFile[l.item]; ok && l.item != "" {
		file = f
	}
	line := 0
	if n != nil {
		line = n.Line
		if col == 0 {
			col = n.Column
		}
	}
	l.errs = append(l.errs, &Error{File: file, Line: line, Col: col, Item: l.item, Msg: msg})
}

func (l *loader) decode(n *yaml.Node, v any, path string) {
	for _, e := range decodeStrict(n, reflect.ValueOf(v).Elem(), path) {
		l.errAt(e.node, 0, e.msg)
	}
}

// decodeFields decodes the fields of mapping n that skip does not claim
// into struct v, as decode would decode a mapping of only those.
func (l *loader) decodeFields(n *yaml.Node, v reflect.Value, path string, skip func(string) bool) {
	for _, e := range decodeFields(n, v, &fieldPath{key: path, index: -1}, skip) {
		l.errAt(e.node, 0, e.msg)
	}
}

func notItemField(key string) bool { return !contains(ItemFields, key) }

func isExpect(key string) bool { return key == "expect" }

// Parse is Load on bytes already read; path is used in messages, and the
// files the checklist includes are read relative to it.
func Parse(path string, data []byte, opts Options) (*Checklist, error) {
	l := &loader{path: path, definitions: opts.Definitions, tainted: map[*yaml.Node]bool{},
		bytesLeft: MaxFileSize - len(data), nodesLeft: maxNodes}
	root := &source{path: path, sum: sha256.Sum256(data)}
	root.abs, _ = filepath.Abs(path)
	if info, err := os.Stat(path); err == nil {
		root.info = info
	}
	c := &Checklist{Path: path, SHA256: hex.EncodeToString(root.sum[:]), Environment: opts.Env}

	doc, plain := l.document(data)
	if doc == nil {
		return nil, l.errs
	}
	root.plain = plain
	c.Doc = doc
	if !plain {
		c.Doc = copyNode(doc)
	}
	root.root = doc.Content[0]
	root.spec = l.header(root.root, c)
	l.includes(root)
	spec := &root.spec
	signoffFrom := root
	if len(l.includeDocs) > 0 {
		c.Includes = l.includeDocs
		c.SHA256 = includeDigest(root, c.Includes)
		signoffFrom = l.mergeIncludes(root, spec)
	}
	r := l.resolver(root.root, root.plain, spec, c, opts)
	ids := l.loadSections(root, c, r)
	if len(l.sources) > 1 {
		// Without includes every item is in the root file, which is
		// l.path for the checks below.
		l.itemFile = map[string]string{}
		for _, it := range c.Items() {
			if _, dup := l.itemFile[it.ID]; !dup {
				l.itemFile[it.ID] = it.File
			}
		}
	}
	l.checkSecretFree(c, r.secrets)
	l.checkDependencies(c, ids)
	if signoffFrom != nil {
		l.path = signoffFrom.path
		c.Signoff = l.loadSignoffPolicy(&spec.Signoff)
		l.path = root.path
	}
	l.checkManualRoles(c)

	c.Secrets = sortedKeys(r.secrets)
	c.NeededEnv = sortedKeys(r.needed)
	if len(l.errs) > 0 {
		l.sortErrors()
		// The one place loader messages meet the secrets they may quote.
		return nil, l.errs.masked(c.Secrets)
	}
	return c, nil
}

func (l *loader) loadItem(n *yaml.Node, c *Checklist, sec *Section, ids map[string]*yaml.Node) *Item {
	l.item = idOf(n)
	defer func() { l.item = "" }()
	if n.Kind != yaml.MappingNode {
		l.errAt(n, 0, "an item is a mapping with id, title and one probe kind")
		return nil
	}
	// Split the item's keys: common fields, and the kind key(s).
	var kindKeys []*yaml.Node
	unknown := false
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case contains(ItemFields, k.Value):
		case k.Value == "manual" || isKind(k.Value):
			kindKeys = append(kindKeys, k)
		default:
			unknown = true
			l.errAt(k, 0, unknownKeyMessage(k.Value, v))
		}
	}
	// One itemSpec for every item: decoded through reflect, a local one
	// would be on the heap for each.
	l.spec = itemSpec{}
	spec := &l.spec
	l.decodeFields(n, reflect.ValueOf(spec).Elem(), "", notItemField)
	it := &Item{
		ID: spec.ID, Title: spec.Title, Description: spec.Description, Section: sec,
		Phase: spec.Phase, Severity: spec.Severity, Tags: spec.Tags, DependsOn: spec.DependsOn,
		Timeout: c.Defaults.Timeout, Retries: c.Defaults.Retries, RetryDelay: c.Defaults.RetryDelay,
		Line: n.Line, Col: n.Column, File: l.path,
	}
	if it.Phase == "" {
		it.Phase = sec.Phase
	}
	if it.Title == "" {
		it.Title = it.ID
	}
	if spec.Timeout != nil {
		// A value that did not parse was reported already.
		if _, err := time.ParseDuration(valueNode(n, "timeout").Value); err == nil && *spec.Timeout <= 0 {
			l.errAt(valueNode(n, "timeout"), 0, "timeout must be greater than 0")
		}
		it.Timeout = *spec.Timeout
	}
	it.exclusive = spec.Exclusive
	if spec.Retries != nil {
		it.Retries = *spec.Retries
		l.checkRetries(valueNode(n, "retries"), it.Retries)
	}
	if spec.RetryDelay != nil {
		it.RetryDelay = *spec.RetryDelay
	}
	if it.Severity == "" {
		it.Severity = c.Defaults.Severity
	} else {
		l.checkSeverity(valueNode(n, "severity"), it.Severity)
	}

	switch {
	case it.ID == "":
		l.errAt(n, 0, "item has no id")
	case !validID(it.ID):
		l.errAt(valueNode(n, "id"), 0, fmt.Sprintf("malformed id %q: use lower-case letters, digits and dashes, starting with a letter or digit", it.ID))
	default:
		if prev, dup := ids[it.ID]; dup {
			l.errAt(valueNode(n, "id"), 0, fmt.Sprintf("duplicate id %q (first used on line %d)", it.ID, prev.Line))
		} else {
			ids[it.ID] = valueNode(n, "id")
		}
	}

	switch {
	case len(kindKeys) == 0 && !unknown:
		l.errAt(n, 0, fmt.Sprintf("no probe kind: add exactly one of %s, or manual", strings.Join(checks.Names(), ", ")))
	case len(kindKeys) > 1:
		names := make([]string, len(kindKeys))
		for i, k := range kindKeys {
			names[i] = k.Value
		}
		l.errAt(kindKeys[1], 0, fmt.Sprintf("two probe kinds (%s): an item has exactly one", strings.Join(names, ", ")))
	case len(kindKeys) == 1:
		l.loadKind(kindKeys[0], valueNode(n, kindKeys[0].Value), it)
		if it.Probe != nil {
			l.fitTimeout(n, kindKeys[0], it, spec.Timeout != nil)
		}
	}
	return it
}

func (l *loader) loadKind(key, block *yaml.Node, it *Item) {
	it.Kind = key.Value
	if key.Value == "manual" {
		it.Manual = &Manual{}
		if block.Tag != "!!null" && !(block.Kind == yaml.ScalarNode && block.Value == "true") {
			l.decode(block, it.Manual, "manual")
		}
		return
	}
	if l.definitions {
		return
	}
	if block.Kind != yaml.MappingNode {
		l.errAt(block, 0, fmt.Sprintf("%s: expected a mapping of the probe's fields, got %s (see `readyctl probes %s`)", key.Value, describe(block), key.Value))
		return
	}
	kind, _ := checks.Lookup(key.Value)
	// expect: belongs to every kind; it is type-checked here against the
	// kind's declared observations and the runner evaluates it.
	for i := 0; i+1 < len(block.Content); i += 2 {
		k, v := block.Content[i], block.Content[i+1]
		if k.Value != "expect" {
			continue
		}
		var srcs []string
		l.decode(v, &srcs, key.Value+".expect")
		env := l.exprEnv(key.Value, kind)
		for j, src := range srcs {
			e, err := env.Compile(src)
			if err != nil {
				l.errAt(v.Content[j], 0, fmt.Sprintf("expect[%d]: %v", j, err))
				continue
			}
			it.Expect = append(it.Expect, e)
		}
	}
	p := kind.New()
	before := len(l.errs)
	if pv := reflect.ValueOf(p).Elem(); pv.Kind() == reflect.Struct && !factsOf(pv.Type()).unmarshaler {
		l.decodeFields(block, pv, key.Value, isExpect)
	} else {
		stripped := &yaml.Node{Kind: yaml.MappingNode, Line: block.Line, Column: block.Column}
		for i := 0; i+1 < len(block.Content); i += 2 {
			if k := block.Content[i]; k.Value != "expect" {
				stripped.Content = append(stripped.Content, k, block.Content[i+1])
			}
		}
		l.decode(stripped, p, key.Value)
	}
	if len(l.errs) > before {
		return
	}
	if err := p.Validate(); err != nil {
		if l.anyTainted(block) {
			return // judged on values that are not the real ones
		}
		var fe *checks.FieldError
		if errors.As(err, &fe) {
			l.errAt(fieldNode(block, fe.Field), 0, key.Value+"."+err.Error())
		} else {
			l.errAt(key, 0, key.Value+": "+err.Error())
		}
		return
	}
	it.Probe = p
	// Load is exclusive unless the item says otherwise: concurrent items
	// would measure each other's noise.
	if it.exclusive != nil {
		it.Exclusive = *it.exclusive
	} else if ex, ok := p.(checks.Exclusive); ok {
		it.Exclusive = ex.Exclusive()
	}
}

// anyTainted says whether a value below n is tainted (see loader.tainted).
func (l *loader) anyTainted(n *yaml.Node) bool {
	if len(l.tainted) == 0 || n == nil {
		return false
	}
	if l.tainted[n] {
		return true
	}
	for _, c := range n.Content {
		if l.anyTainted(c) {
			return true
		}
	}
	return false
}

func (l *loader) checkDependencies(c *Checklist, ids map[string]*yaml.Node) {
	items := c.Items()
	if !slices.ContainsFunc(items, func(it *Item) bool { return len(it.DependsOn) > 0 }) {
		return // nothing to resolve, no cycle possible
	}
	byID := make(map[string]*Item, len(items))
	for _, it := range items {
		byID[it.ID] = it
	}
	var known []string // every id, sorted, once a suggestion needs them
	suggestions := 0
	for _, it := range items {
		for i, d := range it.DependsOn {
			if _, ok := ids[d]; !ok {
				l.item = it.ID
				msg := fmt.Sprintf("depends_on %q: no item has that id", d)
				// Each suggestion reads every id: a few are help, tens
				// of thousands in a hostile file are minutes.
				suggestions++
				if suggestions <= maxSuggestions {
					if known == nil {
						known = keys(ids)
					}
					if s := Suggest(d, known); s != "" {
						msg += fmt.Sprintf(" (did you mean %q?)", s)
					}
				}
				l.errAt(seqElem(it.Raw, "depends_on", i), 0, msg)
				l.item = ""
			}
		}
	}
	// Cycle detection: depth-first search with colours.
	const (
		white = iota
		grey
		black
	)
	colour := map[string]int{}
	var stack []string
	var visit func(it *Item) bool
	visit = func(it *Item) bool {
		colour[it.ID] = grey
		stack = append(stack, it.ID)
		for _, d := range it.DependsOn {
			dep, ok := byID[d]
			if !ok {
				continue
			}
			switch colour[d] {
			case grey:
				start := indexOf(stack, d)
				cycle := append(append([]string{}, stack[start:]...), d)
				l.item = it.ID
				l.errAt(valueNode(it.Raw, "depends_on"), 0, "dependency cycle: "+strings.Join(cycle, " -> "))
				l.item = ""
				return true
			case white:
				if visit(dep) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		colour[it.ID] = black
		return false
	}
	for _, it := range items {
		if colour[it.ID] == white {
			stack = stack[:0]
			if visit(it) {
				return // one cycle report is enough; the rest is noise
			}
		}
	}
}

func (l *loader) checkSeverity(n *yaml.Node, s Severity) {
	for _, ok := range Severities() {
		if s == ok {
			return
		}
	}
	l.errAt(n, 0, fmt.Sprintf("severity %q: expected critical, warning or info", s))
}

func (l *loader) checkRetries(n *yaml.Node, r int) {
	if r < 0 || r > MaxRetries {
		l.errAt(n, 0, fmt.Sprintf("retries %d: expected 0 to %d", r, MaxRetries))
	}
}

func unknownKeyMessage(key string, v *yaml.Node) string {
	kinds := append(checks.Names(), "manual")
	if v.Kind == yaml.MappingNode {
		msg := fmt.Sprintf("unknown probe kind %q", key)
		if s := Suggest(key, kinds); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		return msg + "; known kinds: " + strings.Join(kinds, ", ")
	}
	msg := fmt.Sprintf("unknown field %q", key)
	if s := Suggest(key, append(append([]string{}, ItemFields...), kinds...)); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return msg
}

func isKind(name string) bool {
	_, ok := checks.Lookup(name)
	return ok
}

// yamlSyntaxError extracts the line from yaml.v3's "yaml: line N: msg".
// yaml.v3 keeps the column to itself, so the column is where that line's
// text starts (the construct it complains about), 1 without a line.
func yamlSyntaxError(err error, data []byte) (int, int, string) {
	s := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	if _, scanErr := fmt.Sscanf(s, "line %d:", &line); scanErr == nil {
		if i := strings.Index(s, ": "); i >= 0 {
			s = s[i+2:]
		}
	}
	return line, lineStart(data, line), "YAML syntax error: " + s
}

// lineStart is the column of the first non-blank character of line (1-based).
func lineStart(data []byte, line int) int {
	if line < 1 {
		return 1
	}
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			return 1
		}
		data = data[i+1:]
	}
	for i, b := range data {
		if b != ' ' && b != '\t' {
			if b == '\n' || b == '\r' {
				return 1
			}
			return i + 1
		}
	}
	return 1
}

// valueNode returns the value of key in mapping n, or nil.
func valueNode(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func valueNodeOr(n *yaml.Node, key string) *yaml.Node {
	if v := valueNode(n, key); v != nil {
		return v
	}
	return n
}

// fieldNode follows a dotted path ("query.sql", "headers[0]") inside a
// probe block, stopping at the deepest node that exists.
func fieldNode(block *yaml.Node, path string) *yaml.Node {
	n := block
	for _, part := range strings.Split(path, ".") {
		name, idx := part, -1
		if i := strings.IndexByte(part, '['); i > 0 {
			name = part[:i]
			fmt.Sscanf(part[i:], "[%d]", &idx)
		}
		next := valueNode(n, name)
		if next == nil {
			return n
		}
		n = next
		if idx >= 0 && n.Kind == yaml.SequenceNode && idx < len(n.Content) {
			n = n.Content[idx]
		}
	}
	return n
}

func seqElem(n *yaml.Node, key string, i int) *yaml.Node {
	v := valueNode(n, key)
	if v != nil && v.Kind == yaml.SequenceNode && i < len(v.Content) {
		return v.Content[i]
	}
	return v
}

func idOf(n *yaml.Node) string {
	if v := valueNode(n, "id"); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

func copyNode(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, ch := range n.Content {
		c.Content[i] = copyNode(ch)
	}
	return &c
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return 0
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
