// Package flowcheck is the `flow` probe kind: ordered HTTP steps, each a
// request with everything the http kind accepts, that build on each other
// through captured values (`capture: {token: json.token}`, used later as
// ${token}), then `cleanup:` steps that always run.
//
// It never writes unless the block says `writes: true`: without it, any
// step whose method is not GET, HEAD or OPTIONS is refused at load. Each
// request is the http kind's own (httpcheck.Probe.Run) over one client
// per flow, whose cookie jar carries cookies from step to step. A value
// that looks like a credential (a JWT, a cookie, a token-named field) is
// handed to the runner as a secret before it can reach any output.
package flowcheck

import (
	_ "embed"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/checks/httpcheck"
	"github.com/readyctl/readyctl/internal/expect"
)

//go:embed example.yaml
var example string

func init() {
	checks.Register(checks.Kind{
		Name:         "flow",
		New:          func() checks.Probe { return New() },
		Summary:      "ordered HTTP steps with captured values (register, log in, read...), then cleanup",
		Example:      example,
		Observations: observations,
		RunTimeNames: RunTimeNames,
	})
}

// Probe is the `flow:` block of an item.
type Probe struct {
	Writes  bool   `yaml:"writes" doc:"allow steps that may change the target (any method but GET, HEAD and OPTIONS); required for them, and shown by plan and in the report"`
	Steps   []Step `yaml:"steps" doc:"the requests, in order (at least one); the first that fails stops the flow; all steps share one client whose cookie jar sends cookies a response set with later requests, and the first step's tls options; rate_limit and injection are refused in steps (use an http item)"`
	Cleanup []Step `yaml:"cleanup" doc:"requests that always run after the steps, even after a failure or a timeout, within their own share of the deadline (a quarter of what remains when the flow starts); a step using a value that was never captured is skipped"`
}

// Step is one request of a flow: the http kind's fields plus a name,
// captures and expectations.
type Step struct {
	Name            string `yaml:"name" doc:"the step's name, in messages and in the step observation (default: its 1-based number)"`
	httpcheck.Probe `yaml:",inline" doc:"every field of the http kind: url, method, headers, body, json, basic_auth, bearer_token, tls, status, follow_redirects, max_body_bytes, max_latency...; ${run_id}, ${uuid} and captured ${NAME}s are replaced at run time in url, headers, body, json, bearer_token and basic_auth"`
	Capture         map[string]string `yaml:"capture" doc:"NAME: EXPR; the value of EXPR over this step's observations (status, headers, body, json, cookies...) becomes ${NAME} in later steps and NAME in later expressions, e.g. {token: json.token, session: cookies.session}, or headers['location'] or match_group(body, 'csrf=([a-z0-9]+)') for a regex group; a nil value fails the step"`
	Expect          []string          `yaml:"expect" doc:"expressions over this step's observations and the captures so far that must all hold, e.g. json.id == user_id"`

	captures []capture
	expects  []*expect.Expectation
}

type capture struct {
	name  string
	value *expect.Value
}

// Defaults gives each step the http kind's defaults (status 2xx, GET,
// redirects followed, 1 MiB body cap).
func (s *Step) Defaults() { s.Probe = *httpcheck.New() }

// New returns a Probe with its defaults.
func New() *Probe { return &Probe{} }

// names the kind resolves itself, besides captures.
const (
	nameRunID = "run_id"
	nameUUID  = "uuid"
)

// RunTimeNames lists the references a flow block resolves at run time:
// ${run_id}, ${uuid} and every capture name of its steps.
func RunTimeNames(block map[string]any) []string {
	names := []string{nameRunID, nameUUID}
	for _, list := range []string{"steps", "cleanup"} {
		steps, _ := block[list].([]any)
		for _, s := range steps {
			m, _ := s.(map[string]any)
			caps, _ := m["capture"].(map[string]any)
			for k := range caps {
				names = append(names, k)
			}
		}
	}
	return names
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// readOnly are the methods a flow may send without writes: true.
var readOnly = map[string]bool{http.MethodGet: true, http.MethodHead: true, http.MethodOptions: true}

// Validate checks every step without I/O: fields as the http kind checks
// them (with run-time references standing for a value), the write rule,
// the order of captures and uses, and every expression against the
// observations it will see.
func (p *Probe) Validate() error {
	if len(p.Steps) == 0 {
		return checks.FieldErrorf("steps", "at least one step is required")
	}
	decls := stepDecls()
	declared := map[string]bool{}
	for _, d := range decls {
		declared[strings.SplitN(d.Name, ".", 2)[0]] = true
	}
	captured := map[string]bool{}
	names := map[string]string{}
	validate := func(list string, steps []Step) error {
		for i := range steps {
			s := &steps[i]
			at := fmt.Sprintf("%s[%d]", list, i)
			if err := s.validate(at, p.Writes, captured, declared, decls); err != nil {
				return err
			}
			if list == "steps" && s.Name != "" {
				if prev, dup := names[s.Name]; dup {
					return checks.FieldErrorf(at+".name", "name %q is already used by %s", s.Name, prev)
				}
				names[s.Name] = at
			}
			if i > 0 || list == "cleanup" {
				if !reflect.DeepEqual(s.TLS, p.Steps[0].TLS) {
					return checks.FieldErrorf(at+".tls", "the steps of a flow share one client: give every step the same tls options as the first")
				}
			}
		}
		return nil
	}
	if err := validate("steps", p.Steps); err != nil {
		return err
	}
	return validate("cleanup", p.Cleanup)
}

func (s *Step) validate(at string, writes bool, captured, declared map[string]bool, decls []checks.Observation) error {
	if s.RateLimit != nil || s.Injection != nil {
		return checks.FieldErrorf(at, "rate_limit and injection are not available in a flow step: use an http item")
	}
	if s.FreshConnection {
		return checks.FieldErrorf(at+".fresh_connection", "a flow's steps share the flow's own connections and cookies: fresh_connection applies to http items")
	}
	used := uses(&s.Probe)
	fields := make([]string, 0, len(used))
	for f := range used {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	for _, f := range fields {
		for _, ref := range used[f] {
			if ref == nameRunID || ref == nameUUID || captured[ref] {
				continue
			}
			return checks.FieldErrorf(at+"."+f, "${%s} is used before a step captures it: only earlier steps' captures, ${run_id} and ${uuid} are known here", ref)
		}
	}
	// The http kind's own validation, on a copy whose run-time references
	// stand for a plain value.
	probe := s.Probe.Clone()
	_ = fill(&probe, func(string) (string, error) { return "x", nil }, nil)
	if err := probe.Validate(); err != nil {
		var fe *checks.FieldError
		if errors.As(err, &fe) {
			return checks.FieldErrorf(at+"."+fe.Field, "%v", fe.Err)
		}
		return fmt.Errorf("%s: %w", at, err)
	}
	// Keep what Validate settled (method upper-cased, defaults), with the
	// run-time references as written.
	probe.URL, probe.Body, probe.BearerToken = s.URL, s.Body, s.BearerToken
	probe.Headers, probe.BasicAuth, probe.JSON = s.Headers, s.BasicAuth, s.JSON
	s.Probe = probe
	if !writes && !readOnly[s.Method] {
		return checks.FieldErrorf(at+".method", "%s %s may change the target: add writes: true to the flow block to allow it (readyctl writes only where the checklist says it may)", s.Method, stepLabel(at, s.Name))
	}
	env := expect.NewEnv(append(append([]checks.Observation{}, decls...), capturedDecls(captured)...))
	keys := make([]string, 0, len(s.Capture))
	for k := range s.Capture {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s.captures = s.captures[:0]
	for _, name := range keys {
		switch {
		case !identifier.MatchString(name):
			return checks.FieldErrorf(at+".capture", "capture name %q: use letters, digits and _, not starting with a digit", name)
		case name == nameRunID || name == nameUUID || declared[name]:
			return checks.FieldErrorf(at+".capture", "capture name %q is taken by an observation or a run-time name: choose another", name)
		}
		v, err := env.CompileValue(s.Capture[name])
		if err != nil {
			return checks.FieldErrorf(at+".capture."+name, "%v", err)
		}
		s.captures = append(s.captures, capture{name, v})
	}
	for _, name := range keys {
		captured[name] = true
	}
	env = expect.NewEnv(append(append([]checks.Observation{}, decls...), capturedDecls(captured)...))
	s.expects = s.expects[:0]
	for j, src := range s.Expect {
		e, err := env.Compile(src)
		if err != nil {
			return checks.FieldErrorf(fmt.Sprintf("%s.expect[%d]", at, j), "%v", err)
		}
		s.expects = append(s.expects, e)
	}
	return nil
}

func capturedDecls(captured map[string]bool) []checks.Observation {
	out := make([]checks.Observation, 0, len(captured))
	for name := range captured {
		out = append(out, checks.Observation{Name: name, Type: checks.TypeAny, Doc: "a value captured by an earlier step"})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func stepLabel(at, name string) string {
	if name != "" {
		return fmt.Sprintf("(%s %q)", at, name)
	}
	return "(" + at + ")"
}

// Plan counts every step and cleanup step, and says the flow writes when
// it may.
func (p *Probe) Plan() checks.Plan {
	pl := checks.Plan{Connections: 1, Writes: p.Writes}
	if len(p.Steps) > 0 {
		pl.Target = p.Steps[0].URL
	}
	for _, list := range [][]Step{p.Steps, p.Cleanup} {
		for i := range list {
			pl.Requests += list[i].Probe.Plan().Requests
		}
	}
	return pl
}

// stepDecls are the observations a step's expressions see: the http
// kind's, plus the cookies of the step's response.
func stepDecls() []checks.Observation {
	k, _ := checks.Lookup("http")
	return append(append([]checks.Observation{}, k.Observations...),
		checks.Observation{Name: "cookies", Type: checks.TypeMap, Doc: "cookies the step's responses set, by name (their values are secrets)"})
}

// maxStepWait bounds a flow with no deadline at all (tests, a library
// caller): the runner always gives one.
const maxStepWait = 5 * time.Minute

// newClient is the flow's one client: the first step's TLS options, a
// cookie jar, and each step's own redirect policy.
func (p *Probe) newClient(current **Step, cookies *cookieWatch) (*http.Client, error) {
	tr, err := p.Steps[0].Target.Transport()
	if err != nil {
		return nil, err
	}
	tr.TLSHandshakeTimeout = 0 // the item's deadline bounds the handshake
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	cookies.next = tr
	return &http.Client{
		Transport: cookies,
		Jar:       jar,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			s := *current
			return s.CheckRedirect(&s.Target)(req, via)
		},
	}, nil
}

// cookieWatch sees every response of the flow: each cookie value is a
// secret from the moment it arrives, and the step's cookies observation
// lists them.
type cookieWatch struct {
	next http.RoundTripper
	mu   sync.Mutex // a step's extra requests (cors...) may overlap
	seen map[string]any
}

func (c *cookieWatch) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	if resp != nil {
		for _, ck := range resp.Cookies() {
			checks.AddSecret(req.Context(), ck.Value)
			c.mu.Lock()
			c.seen[ck.Name] = ck.Value
			c.mu.Unlock()
		}
	}
	return resp, err
}

// take returns the cookies seen since the last take.
func (c *cookieWatch) take() map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.seen
	c.seen = map[string]any{}
	return out
}

func (c *cookieWatch) CloseIdleConnections() {
	if ci, ok := c.next.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

var _ checks.Probe = (*Probe)(nil)
var _ checks.Planner = (*Probe)(nil)
var _ checks.Defaulter = (*Step)(nil)
