package cmdutil

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/readyctl/readyctl/internal/checklist"
)

// maxConfigBytes bounds the config file: it is a handful of settings.
const maxConfigBytes = 1 << 20

// cliOnly marks a flag that only the command line may set: a decision a
// person takes for one run (--force, --reject), never an environment
// variable or a config file on their behalf.
const cliOnly = "readyctl/command-line-only"

// CommandLineOnly marks flags that READYCTL_* and the config file never set.
func CommandLineOnly(fs *pflag.FlagSet, names ...string) {
	for _, n := range names {
		_ = fs.SetAnnotation(n, cliOnly, []string{"true"})
	}
}

// Settings applies readyctl's configuration precedence, in one place:
// a flag given on the command line, else READYCTL_<FLAG> (dashes become
// underscores), else the flag's key in the config file, else the flag's
// default. Every command binds its flags to its own Options struct; Apply
// writes the environment and config values through those same flags, so
// commands read typed fields and nothing reads a setting by name.
type Settings struct {
	// Path is the config file ($XDG_CONFIG_HOME/readyctl/config.yaml).
	Path      string
	lookupEnv func(string) (string, bool)
	keys      []configKey
	err       error // reading the config file; reported when a command runs
	sources   map[*pflag.Flag]string
}

type configKey struct {
	name string
	line int
	node *yaml.Node
}

// NewSettings reads the config file at path (a missing file is no
// configuration) and takes READYCTL_* from lookupEnv.
func NewSettings(path string, lookupEnv func(string) (string, bool)) *Settings {
	if lookupEnv == nil {
		lookupEnv = os.LookupEnv
	}
	s := &Settings{Path: path, lookupEnv: lookupEnv, sources: map[*pflag.Flag]string{}}
	s.keys, s.err = readConfig(path)
	return s
}

func readConfig(path string) ([]configKey, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, UsageErrorf("config file %s: %v", path, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && !st.Mode().IsRegular() {
		return nil, UsageErrorf("config file %s: not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return nil, UsageErrorf("config file %s: %v", path, err)
	}
	if len(data) > maxConfigBytes {
		return nil, UsageErrorf("config file %s: larger than %d bytes", path, maxConfigBytes)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, UsageErrorf("config file %s: %v", path, err)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, UsageErrorf("config file %s: line %d: expected a mapping of settings (key: value)", path, root.Line)
	}
	var keys []configKey
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if seen[k.Value] {
			return nil, UsageErrorf("config file %s: line %d: %q is set twice", path, k.Line, k.Value)
		}
		seen[k.Value] = true
		keys = append(keys, configKey{name: k.Value, line: k.Line, node: v})
	}
	return keys, nil
}

// EnvName is the environment variable of a flag: READYCTL_FAIL_ON for
// --fail-on.
func EnvName(flag string) string {
	return "READYCTL_" + strings.ToUpper(strings.NewReplacer("-", "_", ".", "_").Replace(flag))
}

func configurable(fl *pflag.Flag) bool {
	if fl.Name == "help" || fl.Name == "version" {
		return false
	}
	_, only := fl.Annotations[cliOnly]
	return !only
}

// Apply fills every flag of cmd that the command line did not set from
// READYCTL_* and then the config file. A value that does not parse is a
// usage error naming where it came from; so is a key of the config file
// that no command has.
func (s *Settings) Apply(cmd *cobra.Command) error {
	if s == nil {
		return nil
	}
	if s.err != nil {
		return s.err
	}
	if err := s.checkKeys(cmd.Root()); err != nil {
		return err
	}
	var errs []error
	cmd.Flags().VisitAll(func(fl *pflag.Flag) {
		if fl.Changed {
			s.sources[fl] = "--" + fl.Name
			return
		}
		if !configurable(fl) {
			return
		}
		env := EnvName(fl.Name)
		if v, ok := s.lookupEnv(env); ok && v != "" {
			if err := setFromString(fl, v); err != nil {
				errs = append(errs, UsageErrorf("%s=%q: %v", env, v, err))
			}
			s.sources[fl] = env
			return
		}
		for _, k := range s.keys {
			if k.name != fl.Name {
				continue
			}
			if err := setFromNode(fl, k.node); err != nil {
				errs = append(errs, UsageErrorf("config file %s: line %d: %s: %v", s.Path, k.line, k.name, err))
			}
			s.sources[fl] = fmt.Sprintf("%s in %s", k.name, s.Path)
		}
	})
	return errors.Join(errs...)
}

// Source names where a flag's value came from, for messages about a bad
// value: "--wait", "READYCTL_WAIT" or "wait in /home/ada/.config/readyctl/config.yaml".
func (s *Settings) Source(cmd *cobra.Command, name string) string {
	fl := cmd.Flags().Lookup(name)
	if s != nil && fl != nil {
		if src, ok := s.sources[fl]; ok {
			return src
		}
	}
	return "--" + name
}

// checkKeys refuses a config file key that no command has (a typo there
// would silently be ignored).
func (s *Settings) checkKeys(root *cobra.Command) error {
	if len(s.keys) == 0 {
		return nil
	}
	known := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(fl *pflag.Flag) {
			if configurable(fl) {
				known[fl.Name] = true
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	names := make([]string, 0, len(known))
	for n := range known {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, k := range s.keys {
		if known[k.name] {
			continue
		}
		msg := fmt.Sprintf("config file %s: line %d: unknown setting %q", s.Path, k.line, k.name)
		if sug := checklist.Suggest(k.name, names); sug != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", sug)
		}
		return UsageErrorf("%s; settings are the long flag names: %s", msg, strings.Join(names, ", "))
	}
	return nil
}

// isList reports whether a flag takes several values.
func isList(fl *pflag.Flag) bool {
	_, ok := fl.Value.(pflag.SliceValue)
	return ok
}

// setFromString sets a flag from an environment variable. A list takes
// comma-separated values, except a flag whose values may hold commas
// (--var k=a,b, -o json=x,y.json): one value per line.
func setFromString(fl *pflag.Flag, v string) error {
	if !isList(fl) {
		return set(fl, v)
	}
	sep := ","
	if fl.Value.Type() == "stringArray" {
		sep = "\n"
	}
	var vals []string
	for _, p := range strings.Split(v, sep) {
		if p = strings.TrimSpace(p); p != "" {
			vals = append(vals, p)
		}
	}
	return fl.Value.(pflag.SliceValue).Replace(vals)
}

func setFromNode(fl *pflag.Flag, n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		if isList(fl) {
			return fl.Value.(pflag.SliceValue).Replace([]string{n.Value})
		}
		return set(fl, n.Value)
	case yaml.SequenceNode:
		if !isList(fl) {
			return fmt.Errorf("expected one value, not a list")
		}
		var vals []string
		for _, e := range n.Content {
			if e.Kind != yaml.ScalarNode {
				return fmt.Errorf("expected a list of values")
			}
			vals = append(vals, e.Value)
		}
		return fl.Value.(pflag.SliceValue).Replace(vals)
	}
	return fmt.Errorf("expected a value or a list of values")
}

// set parses v as the flag's type; the message says what was expected
// rather than repeating a parser's words.
func set(fl *pflag.Flag, v string) error {
	if err := fl.Value.Set(v); err != nil {
		switch fl.Value.Type() {
		case "duration":
			return fmt.Errorf("not a duration (write e.g. 30s, 5m or 1h30m)")
		case "int":
			return fmt.Errorf("not a whole number")
		case "bool":
			return fmt.Errorf("expected true or false")
		}
		return err
	}
	return nil
}
