package checklist

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/readyctl/readyctl/checks"
)

// `include:` lets a checklist pull in other files: a list of paths,
// relative to the file that names them, each a checklist fragment with
// any of include, vars, environments, sections and signoff (version: 1
// and description are accepted and ignored). What an included file
// defines merges into the checklist:
//
//   - sections: a file's included sections come first (in include order,
//     depth first), then its own; a section or item id defined in two
//     files is an error naming both places;
//   - vars and environments: merged; a variable (or environments.ENV.VAR)
//     defined in two files is an error naming both places: a value is
//     written once, and varies by --env or --var, never by file order;
//   - signoff: at most one file defines the policy.
//
// name, defaults and intrusive_environments belong to the root checklist
// only. A file is included once: a second include of it (a diamond) is an
// error, and so is a cycle, named as a chain of files. The budgets of a
// load (MaxFileSize bytes, MaxNodes nodes, MaxExpansion bytes of ${...})
// are shared by the root and all its includes, and at most MaxIncludes
// files nest at most MaxIncludeDepth deep, so a hostile include tree
// costs no more than one hostile file.

const (
	// MaxIncludeDepth bounds how deep includes nest.
	MaxIncludeDepth = 16
	// MaxIncludes bounds the include entries of one checklist in all.
	MaxIncludes = 256
)

// Include is one file pulled in by `include:`, in load order.
type Include struct {
	Path   string     // as named in messages: relative to the root's directory when the root path is
	SHA256 string     // of the file's bytes
	Doc    *yaml.Node // as written, like Checklist.Doc
}

// Docs returns the documents of the checklist and its includes, as
// written: the root first, then the includes in load order.
func (c *Checklist) Docs() []*yaml.Node {
	out := []*yaml.Node{c.Doc}
	for _, in := range c.Includes {
		out = append(out, in.Doc)
	}
	return out
}

// source is one file of a load: the root or an included one.
type source struct {
	path string
	root *yaml.Node
	spec fileSpec
	sum  [32]byte
	info os.FileInfo // nil when the file is not on disk (Parse of bytes)
	abs  string
	at   string // where it was included, FILE:LINE:COL; "" for the root
	// plain: the file has no alias, so its document is never changed:
	// interpolation copies what it changes (interpolateCopy), and the
	// document and its items as written are the parsed nodes themselves.
	// With aliases, an item can see another's interpolated values through
	// one, so the document is copied first and interpolated in place.
	plain bool
	// children are the files it includes, in order.
	children []*source
}

// at formats a node's position in the file being loaded.
func (l *loader) at(n *yaml.Node) string {
	if n == nil {
		return l.path
	}
	return fmt.Sprintf("%s:%d:%d", l.path, n.Line, n.Column)
}

// includes reads the include tree below the root file, depth first,
// charging every file to the load's budgets.
func (l *loader) includes(root *source) {
	l.sources = []*source{root}
	l.loadIncludes(root, []*source{root})
	l.path = root.path
}

func (l *loader) loadIncludes(parent *source, chain []*source) {
	for i, entry := range parent.spec.Include {
		l.path = parent.path
		n := seqElem(parent.root, "include", i)
		if entry == "" {
			l.errAt(n, 0, "include: an empty path")
			continue
		}
		if len(chain) > MaxIncludeDepth {
			l.errAt(n, 0, fmt.Sprintf("include %q: includes nest more than %d deep", entry, MaxIncludeDepth))
			return
		}
		// Entries that name no file count too: a list of a million
		// missing files must not cost a million stats and messages.
		l.includeEntries++
		if l.includeEntries > MaxIncludes {
			l.errAt(n, 0, fmt.Sprintf("include %q: more than %d include entries in the checklist and its includes", entry, MaxIncludes))
			return
		}
		path := entry
		if !filepath.IsAbs(path) {
			path = filepath.Join(filepath.Dir(parent.path), path)
		}
		src := &source{path: path, at: l.at(n)}
		src.abs, _ = filepath.Abs(path)
		if info, err := os.Stat(path); err == nil {
			src.info = info
		}
		for j, c := range chain {
			if sameFile(c, src) {
				names := make([]string, 0, len(chain)-j+1)
				for _, x := range chain[j:] {
					names = append(names, x.path)
				}
				l.errAt(n, 0, fmt.Sprintf("include cycle: %s -> %s", strings.Join(names, " -> "), path))
				src = nil
				break
			}
		}
		if src == nil {
			continue
		}
		if prev := l.findSource(src); prev != nil {
			l.errAt(n, 0, fmt.Sprintf("include %q: %s is already included (at %s); a file is included once", entry, path, prev.at))
			continue
		}
		data, err := checks.ReadFile(path, int64(l.bytesLeft))
		if err != nil {
			var pe *os.PathError
			var re *checks.ReasonError
			switch {
			case errors.As(err, &pe):
				l.errAt(n, 0, fmt.Sprintf("include %q: cannot read %s: %v", entry, path, pe.Err))
			case errors.As(err, &re) && re.Reason == checks.ReasonTooLarge:
				l.errAt(n, 0, fmt.Sprintf("include %q: the checklist and its includes are larger than %d MiB, the most readyctl reads", entry, MaxFileSize>>20))
			default:
				l.errAt(n, 0, fmt.Sprintf("include %q: %v", entry, err))
			}
			continue
		}
		l.bytesLeft -= len(data)
		src.sum = sha256.Sum256(data)
		l.sources = append(l.sources, src)
		parent.children = append(parent.children, src)

		l.path = path
		doc, plain := l.document(data)
		if doc == nil {
			continue
		}
		src.root, src.plain = doc.Content[0], plain
		written := doc
		if !plain {
			written = copyNode(doc)
		}
		l.includeDocs = append(l.includeDocs, Include{Path: path, SHA256: hex.EncodeToString(src.sum[:]), Doc: written})
		l.fragment(src)
		l.loadIncludes(src, append(chain, src))
	}
}

// fragment decodes an included file's fields, refusing the root-only ones.
func (l *loader) fragment(src *source) {
	l.decode(src.root, &src.spec, "")
	if v := src.spec.Version; v != nil && *v != 1 {
		l.errAt(valueNode(src.root, "version"), 0, fmt.Sprintf("unsupported version %d: this readyctl reads version 1", *v))
	}
	for _, key := range []string{"name", "defaults", "intrusive_environments"} {
		for i := 0; i+1 < len(src.root.Content); i += 2 {
			if k := src.root.Content[i]; k.Value == key {
				l.errAt(k, 0, fmt.Sprintf("%s: set only in the root checklist, not in an included file", key))
			}
		}
	}
}

func (l *loader) findSource(s *source) *source {
	for _, x := range l.sources {
		if sameFile(x, s) {
			return x
		}
	}
	return nil
}

func sameFile(a, b *source) bool {
	if a.info != nil && b.info != nil {
		return os.SameFile(a.info, b.info)
	}
	return a.abs != "" && a.abs == b.abs
}

// order lists the sources in load order: a file's includes (depth
// first), then the file itself.
func (s *source) order() []*source {
	var out []*source
	for _, c := range s.children {
		if c.root != nil {
			out = append(out, c.order()...)
		}
	}
	return append(out, s)
}

// mergeIncludes folds the vars, environments and signoff policy of the
// included files into the root's spec, and returns the file the signoff
// policy came from.
func (l *loader) mergeIncludes(root *source, spec *fileSpec) *source {
	varsAt := map[string]string{}
	envAt := map[string]string{}
	var signoffFrom *source
	for _, src := range root.order() {
		l.path = src.path
		if vn := valueNode(src.root, "vars"); vn != nil && vn.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(vn.Content); i += 2 {
				k := vn.Content[i]
				if prev, dup := varsAt[k.Value]; dup {
					l.errAt(k, 0, fmt.Sprintf("variable %q is also defined at %s: define a variable in one file (vary it with environments: or --var)", k.Value, prev))
					continue
				}
				varsAt[k.Value] = l.at(k)
				if src != root {
					if spec.Vars == nil {
						spec.Vars = map[string]string{}
					}
					spec.Vars[k.Value] = src.spec.Vars[k.Value]
				}
			}
		}
		if en := valueNode(src.root, "environments"); en != nil && en.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(en.Content); i += 2 {
				env, vals := en.Content[i], en.Content[i+1]
				if vals.Kind != yaml.MappingNode {
					continue
				}
				for j := 0; j+1 < len(vals.Content); j += 2 {
					k := vals.Content[j]
					name := env.Value + "." + k.Value
					if prev, dup := envAt[name]; dup {
						l.errAt(k, 0, fmt.Sprintf("environments.%s is also defined at %s: define a variable in one file", name, prev))
						continue
					}
					envAt[name] = l.at(k)
					if src != root {
						if spec.Environments == nil {
							spec.Environments = map[string]map[string]string{}
						}
						if spec.Environments[env.Value] == nil {
							spec.Environments[env.Value] = map[string]string{}
						}
						spec.Environments[env.Value][k.Value] = src.spec.Environments[env.Value][k.Value]
					}
				}
				if len(vals.Content) == 0 && src != root {
					// An environment declared empty still exists.
					if spec.Environments == nil {
						spec.Environments = map[string]map[string]string{}
					}
					if spec.Environments[env.Value] == nil {
						spec.Environments[env.Value] = map[string]string{}
					}
				}
			}
		}
		if k := keyNode(src.root, "signoff"); k != nil {
			if signoffFrom != nil {
				l.errAt(k, 0, fmt.Sprintf("signoff: the policy is also defined at %s: define it in one file", signoffFrom.at))
				continue
			}
			signoffFrom = &source{path: src.path, at: l.at(k), spec: src.spec}
		}
	}
	l.path = root.path
	if signoffFrom != nil {
		spec.Signoff = signoffFrom.spec.Signoff
	}
	return signoffFrom
}

// loadSections loads every file's sections in load order, each under its
// own file name, and refuses a section or item id used in two files.
func (l *loader) loadSections(root *source, c *Checklist, r *resolver) map[string]*yaml.Node {
	all := map[string]*yaml.Node{}
	type place struct{ file, at string }
	itemAt := map[string]string{}
	sectionAt := map[string]place{}
	for _, src := range root.order() {
		l.path = src.path
		for i := range src.spec.Sections {
			n := valueNode(&src.spec.Sections[i], "id")
			if n == nil || n.Kind != yaml.ScalarNode || n.Value == "" {
				continue
			}
			switch prev, dup := sectionAt[n.Value]; {
			case !dup:
				sectionAt[n.Value] = place{src.path, l.at(n)}
			case prev.file != src.path: // in one file, sections() says so
				l.errAt(n, 0, fmt.Sprintf("duplicate section id %q (first used at %s)", n.Value, prev.at))
			}
		}
		var doc *yaml.Node // the root's copy; an included file's items are copied each
		if src == root {
			doc = c.Doc
		}
		ids := l.sections(c, src, doc, r)
		if len(l.sources) == 1 {
			// One file: sections() said all there is about its ids.
			all = ids
			break
		}
		names := keys(ids)
		for _, id := range names {
			n := ids[id]
			if prev, dup := itemAt[id]; dup {
				l.item = id
				l.errAt(n, 0, fmt.Sprintf("duplicate id %q (first used at %s)", id, prev))
				l.item = ""
				continue
			}
			itemAt[id] = l.at(n)
			all[id] = n
		}
	}
	l.path = root.path
	return all
}

// includeDigest is the checklist's digest when it includes files: it
// covers the root's bytes and each included file's path (relative to
// the root's directory) and bytes, in load order, so that a change to
// any of them, or to which files are included, changes it.
func includeDigest(root *source, includes []Include) string {
	h := sha256.New()
	fmt.Fprintf(h, "readyctl checklist with includes\n%x\n", root.sum)
	base := filepath.Dir(root.path)
	for _, in := range includes {
		rel, err := filepath.Rel(base, in.Path)
		if err != nil {
			rel = in.Path
		}
		fmt.Fprintf(h, "%s\x00%s\n", filepath.ToSlash(rel), in.SHA256)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// sortErrors orders problems by file (the root, then the includes in the
// order they were read), then by line and column.
func (l *loader) sortErrors() {
	rank := map[string]int{}
	for i, s := range l.sources {
		if _, ok := rank[s.path]; !ok {
			rank[s.path] = i
		}
	}
	sort.SliceStable(l.errs, func(i, j int) bool {
		a, b := l.errs[i], l.errs[j]
		if rank[a.File] != rank[b.File] {
			return rank[a.File] < rank[b.File]
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

// keyNode returns the key node of key in mapping n, or nil.
func keyNode(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i]
		}
	}
	return nil
}
