package scaffold

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/readyctl/readyctl/internal/checklist"
)

// MaxComposeSize bounds the Compose file read: real ones are a few KiB.
const MaxComposeSize = 1 << 20

// maxComposeNodes bounds a walk of the Compose document, aliases counted
// as what they stand for (Compose files use anchors; bombs use more).
const maxComposeNodes = 100_000

// maxServices bounds the items proposed.
const maxServices = 500

type service struct {
	name   string
	image  string
	ports  []port
	health string // URL a curl/wget healthcheck asks for, inside the container
	env    map[string]string
}

type port struct {
	host      string // host_ip, "" for all interfaces
	published string // host port, "" when Docker picks one
	target    string // container port
}

// FromCompose proposes a checklist with one item per service of a Compose
// file: http for published HTTP-looking ports and curl/wget healthcheck
// URLs, postgres and redis for those images, tcp otherwise, each with a
// comment saying why. file names the Compose file in comments.
func FromCompose(file string, data []byte) ([]byte, error) {
	services, err := parseCompose(data)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s# Proposed by `readyctl init --from %s`: one item per service, each with a\n", editorHint, oneLine(file))
	b.WriteString("# comment saying why. Review every guess: addresses are the ports published\n")
	b.WriteString("# on this host; passwords come from the environment, never from the Compose file.\n")
	b.WriteString("version: 1\n")
	fmt.Fprintf(&b, "name: %s\n", yq("Services of "+file))
	b.WriteString("sections:\n  - id: services\n    title: Compose services\n    phase: post-deploy\n    items:\n")
	used := map[string]bool{}
	items := 0
	for _, s := range services {
		why, body := propose(s)
		if body == "" {
			fmt.Fprintf(&b, "      # %s: %s\n", oneLine(s.name), why)
			continue
		}
		items++
		fmt.Fprintf(&b, "      # %s\n", oneLine(why))
		fmt.Fprintf(&b, "      - id: %s\n", idFor(s.name, used))
		title := s.name
		if s.image != "" {
			title += " (" + s.image + ")"
		}
		fmt.Fprintf(&b, "        title: %s\n", yq(title))
		b.WriteString(body)
	}
	if items == 0 {
		return nil, errors.New("no service publishes a port or has a healthcheck URL: nothing readyctl can check from outside")
	}
	return b.Bytes(), nil
}

func parseCompose(data []byte) ([]service, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("not YAML: %w", err)
	}
	if err := checklist.CheckNodes(&doc, maxComposeNodes); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("not a Compose file: expected a mapping with services:")
	}
	svcs := value(doc.Content[0], "services")
	if svcs == nil || svcs.Kind != yaml.MappingNode || len(svcs.Content) == 0 {
		return nil, errors.New("not a Compose file: no services: mapping")
	}
	if len(svcs.Content)/2 > maxServices {
		return nil, fmt.Errorf("%d services: more than the %d readyctl init proposes items for", len(svcs.Content)/2, maxServices)
	}
	var out []service
	for i := 0; i+1 < len(svcs.Content); i += 2 {
		name, n := svcs.Content[i].Value, deref(svcs.Content[i+1])
		if n.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("services.%s (line %d): expected a mapping", name, n.Line)
		}
		s := service{name: name, env: map[string]string{}}
		if img := value(n, "image"); img != nil && img.Kind == yaml.ScalarNode {
			s.image = img.Value
		}
		ports, err := parsePorts(value(n, "ports"))
		if err != nil {
			return nil, fmt.Errorf("services.%s.ports: %w", name, err)
		}
		s.ports = ports
		if hc := value(n, "healthcheck"); hc != nil {
			s.health = healthURL(value(hc, "test"))
		}
		readEnv(value(n, "environment"), s.env)
		out = append(out, s)
	}
	return out, nil
}

func parsePorts(n *yaml.Node) ([]port, error) {
	if n == nil {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("line %d: expected a list", n.Line)
	}
	var out []port
	for _, e := range n.Content {
		e = deref(e)
		switch e.Kind {
		case yaml.ScalarNode:
			p, udp, err := shortPort(e.Value)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", e.Line, err)
			}
			if !udp {
				out = append(out, p)
			}
		case yaml.MappingNode:
			if proto := scalar(value(e, "protocol")); proto != "" && proto != "tcp" {
				continue
			}
			p := port{host: scalar(value(e, "host_ip")), published: firstOfRange(scalar(value(e, "published"))), target: scalar(value(e, "target"))}
			if p.target == "" {
				return nil, fmt.Errorf("line %d: a port needs a target", e.Line)
			}
			out = append(out, p)
		default:
			return nil, fmt.Errorf("line %d: expected a port", e.Line)
		}
	}
	return out, nil
}

// shortPort reads "[HOST:][PUBLISHED:]TARGET[/PROTO]", where any part may
// hold ${VAR:-default} (whose ":" is not a separator) and ports may be
// ranges (the first port stands for the range).
func shortPort(s string) (port, bool, error) {
	s = strings.TrimSpace(s)
	udp := false
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		udp = !strings.EqualFold(s[i+1:], "tcp")
		s = s[:i]
	}
	var host string
	if strings.HasPrefix(s, "[") { // [::1]:8080:80
		end := strings.IndexByte(s, ']')
		if end < 0 || end+1 >= len(s) || s[end+1] != ':' {
			return port{}, false, fmt.Errorf("bad port %q", s)
		}
		host, s = s[1:end], s[end+2:]
	}
	parts := splitColons(s)
	var p port
	switch len(parts) {
	case 1:
		p = port{target: parts[0]}
	case 2:
		p = port{published: parts[0], target: parts[1]}
	case 3:
		if host != "" {
			return port{}, false, fmt.Errorf("bad port %q", s)
		}
		p = port{host: parts[0], published: parts[1], target: parts[2]}
	default:
		return port{}, false, fmt.Errorf("bad port %q", s)
	}
	if host != "" {
		p.host = host
	}
	p.published, p.target = firstOfRange(p.published), firstOfRange(p.target)
	if p.target == "" {
		return port{}, false, fmt.Errorf("bad port %q: no container port", s)
	}
	return p, udp, nil
}

// splitColons splits at ":" outside ${...}.
func splitColons(s string) []string {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "${"):
			depth++
			i++
		case s[i] == '}' && depth > 0:
			depth--
		case s[i] == ':' && depth == 0:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

func firstOfRange(s string) string {
	if strings.Contains(s, "$") {
		return s
	}
	first, _, _ := strings.Cut(s, "-")
	return first
}

var urlInTest = regexp.MustCompile(`https?://[^\s'"\\|;&]+`)

// healthURL is the URL a curl or wget healthcheck asks for, "" when the
// test is something else.
func healthURL(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	var words []string
	switch n = deref(n); n.Kind {
	case yaml.ScalarNode:
		words = []string{n.Value}
	case yaml.SequenceNode:
		for _, w := range n.Content {
			words = append(words, scalar(w))
		}
	}
	test := strings.Join(words, " ")
	if !strings.Contains(test, "curl") && !strings.Contains(test, "wget") {
		return ""
	}
	return urlInTest.FindString(test)
}

func readEnv(n *yaml.Node, into map[string]string) {
	if n == nil {
		return
	}
	switch n = deref(n); n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			into[n.Content[i].Value] = scalar(n.Content[i+1])
		}
	case yaml.SequenceNode:
		for _, e := range n.Content {
			k, v, _ := strings.Cut(scalar(e), "=")
			into[k] = v
		}
	}
}

// propose returns why a service gets the item it gets, and the item's
// kind block (indented for the items list); an empty block means none.
func propose(s service) (why, block string) {
	img := imageName(s.image)
	switch {
	case strings.Contains(img, "postgres") || strings.Contains(img, "postgis"):
		addr, where := s.address("5432")
		prefix := envName(s.name)
		user := envRef(prefix+"_USER", s.env["POSTGRES_USER"], "postgres")
		db := envRef(prefix+"_DATABASE", s.env["POSTGRES_DB"], "postgres")
		dsn := fmt.Sprintf("postgres://%s:${env:%s_PASSWORD}@%s/%s", user, prefix, addr, db)
		return fmt.Sprintf("%s: image %s is PostgreSQL: a postgres item at %s (password from $%s_PASSWORD)", s.name, s.image, where, prefix),
			"        postgres:\n          dsn: " + yq(dsn) + "\n"
	case strings.Contains(img, "redis") || strings.Contains(img, "valkey"):
		addr, where := s.address("6379")
		return fmt.Sprintf("%s: image %s is Redis: a redis item at %s", s.name, s.image, where),
			"        redis:\n          url: " + yq("redis://"+addr) + "\n"
	}
	if u, why := s.httpURL(); u != "" {
		return s.name + ": " + why, "        http:\n          url: " + yq(u) + "\n"
	}
	if len(s.ports) == 0 {
		return "no port published and no curl/wget healthcheck: nothing to check from outside (add an item by hand)", ""
	}
	p := s.ports[0]
	addr, where := s.address(p.target)
	return fmt.Sprintf("%s: port %s is not one readyctl recognises as HTTP: a tcp connect at %s", s.name, p.target, where),
		"        tcp:\n          address: " + yq(addr) + "\n"
}

// httpURL is the URL an http item should ask for, and why; "" when the
// service does not look like it speaks HTTP.
func (s service) httpURL() (string, string) {
	if s.health != "" {
		u, err := url.Parse(s.health)
		if err == nil && u.Host != "" {
			target := u.Port()
			if target == "" {
				target = map[string]string{"http": "80", "https": "443"}[u.Scheme]
			}
			addr, where := s.address(target)
			return u.Scheme + "://" + addr + u.RequestURI(), fmt.Sprintf("its healthcheck asks %s: an http item for the same path at %s", s.health, where)
		}
	}
	for _, p := range s.ports {
		for _, n := range []string{p.target, p.published} {
			if httpPort(n) {
				scheme := "http"
				if p.target == "443" || p.target == "8443" {
					scheme = "https"
				}
				addr, where := s.address(p.target)
				return scheme + "://" + addr + "/", fmt.Sprintf("port %s looks like HTTP (80, 443, 3000-3999, 8000-8999): an http item for / at %s (put its health path here)", n, where)
			}
		}
	}
	return "", ""
}

func httpPort(s string) bool {
	n, err := strconv.Atoi(s)
	if err != nil {
		return false
	}
	return n == 80 || n == 443 || (n >= 3000 && n <= 3999) || (n >= 8000 && n <= 8999)
}

// address is host:port from this host for container port target: the
// published port when there is one, else the service name (reachable
// only inside the Compose network); where says which, in words.
func (s service) address(target string) (addr, where string) {
	for _, p := range s.ports {
		if p.target == target && p.published != "" {
			return hostPort(p), "the published port " + p.published
		}
	}
	for _, p := range s.ports {
		if p.published != "" && target == "" {
			return hostPort(p), "the published port " + p.published
		}
	}
	addr = strings.ToLower(s.name) + ":" + composeVars(target)
	return addr, addr + " inside the Compose network (port " + target + " is not published: run readyctl there, or publish it)"
}

func hostPort(p port) string {
	host := p.host
	switch host {
	case "", "0.0.0.0", "::":
		host = "127.0.0.1"
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return host + ":" + composeVars(p.published)
}

var composeVar = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}$]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)`)

// composeVars rewrites Compose's ${VAR}, ${VAR:-default} and $VAR as
// readyctl's ${env:VAR} and ${env:VAR:-default}: the same variables,
// read when the checklist is loaded.
func composeVars(s string) string {
	s = strings.ReplaceAll(s, "$$", "\x00")
	s = composeVar.ReplaceAllStringFunc(s, func(m string) string {
		g := composeVar.FindStringSubmatch(m)
		if g[4] != "" {
			return "${env:" + g[4] + "}"
		}
		if strings.HasSuffix(g[2], "-") {
			return "${env:" + g[1] + ":-" + g[3] + "}"
		}
		return "${env:" + g[1] + "}"
	})
	return strings.ReplaceAll(s, "\x00", "$")
}

// envRef is ${env:NAME:-default}, the default taken from the Compose
// file when it is a plain value there.
func envRef(name, fromCompose, fallback string) string {
	def := fallback
	if fromCompose != "" && !strings.ContainsAny(fromCompose, "${}@:/") {
		def = fromCompose
	}
	return "${env:" + name + ":-" + def + "}"
}

// imageName is the image's repository name without registry, tag or digest.
func imageName(ref string) string {
	ref = strings.ToLower(ref)
	if i := strings.IndexByte(ref, '@'); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndexByte(ref, '/'); i >= 0 {
		ref = ref[i+1:]
	}
	name, _, _ := strings.Cut(ref, ":")
	return name
}

func value(n *yaml.Node, key string) *yaml.Node {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return deref(n.Content[i+1])
		}
	}
	return nil
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func scalar(n *yaml.Node) string {
	if n = deref(n); n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

var plain = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 ._/()-]*$`)

// yq is s as a YAML scalar: plain when that reads back as the same
// string, else double-quoted (JSON's quoting is valid YAML).
func yq(s string) string {
	if plain.MatchString(s) && !strings.HasSuffix(s, " ") && !ambiguous(s) {
		return s
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// ambiguous: plain scalars YAML would read as something other than a string.
func ambiguous(s string) bool {
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "null", "y", "n":
		return true
	}
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

// oneLine keeps a name from a Compose file from breaking out of a comment.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r < 0x20 {
			return ' '
		}
		return r
	}, s)
}
