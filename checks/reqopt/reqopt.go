// Package reqopt holds the request options every kind that sends HTTP
// requests embeds (http, prometheus, load, and the kinds to come): the
// URL, headers and TLS files (Target), credentials (Auth), the redirect
// policy (Redirects) and the body limit, with one validation and one way
// to build the client and the request.
//
// A kind embeds the parts it has with `yaml:",inline"`, so the YAML field
// names are the same in every kind and each field is validated once.
package reqopt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/checks/tlsopt"
)

// Target is where requests go: the URL, the headers sent with every
// request and the TLS client options.
type Target struct {
	URL     string            `yaml:"url" doc:"http:// or https:// URL (required)"`
	Headers map[string]string `yaml:"headers" doc:"request headers (a Host header sets the virtual host); a redirect to another host or from https to http keeps only Accept, Accept-Language, Accept-Encoding, User-Agent, Content-Type, Cache-Control and Pragma"`
	TLS     tlsopt.Options    `yaml:"tls" doc:"TLS client options for https:// URLs"`
}

// BasicAuth is the `basic_auth:` block.
type BasicAuth struct {
	Username string `yaml:"username" doc:"user name"`
	Password string `yaml:"password" doc:"password, usually ${env:NAME}"`
}

// Auth is the request's credentials; at most one of them, and not
// together with user:password in the URL.
type Auth struct {
	BasicAuth   *BasicAuth `yaml:"basic_auth" doc:"HTTP basic authentication"`
	BearerToken string     `yaml:"bearer_token" doc:"sent as Authorization: Bearer TOKEN; use ${env:NAME} to keep it out of the file"`
}

// Redirects is the redirect policy of a client that follows redirects.
type Redirects struct {
	FollowRedirects bool `yaml:"follow_redirects" doc:"follow 3xx redirects (credentials and configured headers are dropped on a redirect to another host or from https to http)"`
	MaxRedirects    int  `yaml:"max_redirects" doc:"redirects to follow at most"`
}

// Options is the whole set, for kinds that send one configurable request
// and read its answer (http, and the kinds to come).
type Options struct {
	Target       `yaml:",inline" doc:"url, headers and tls"`
	Method       string `yaml:"method" doc:"request method"`
	Auth         `yaml:",inline" doc:"basic_auth or bearer_token"`
	Redirects    `yaml:",inline" doc:"follow_redirects and max_redirects"`
	MaxBodyBytes int64 `yaml:"max_body_bytes" doc:"read at most this many bytes of the body"`

	// shared, when set (UseClient), is the client Client returns: the
	// steps of a flow share one client and its cookie jar.
	shared *http.Client
}

// UseClient makes Client return c instead of building a client: a kind
// that sends several requests as one conversation (a flow) builds one
// client and lends it to each request's options.
func (o *Options) UseClient(c *http.Client) { o.shared = c }

// Defaults returns Options with the defaults of a single-request kind.
func Defaults() Options {
	return Options{
		Method:       http.MethodGet,
		Redirects:    Redirects{FollowRedirects: true, MaxRedirects: 10},
		MaxBodyBytes: 1 << 20,
	}
}

// Validate checks every part; errors are *checks.FieldError with paths
// relative to the probe block (the parts are inlined in it).
func (o *Options) Validate() error {
	if err := o.Target.Validate(); err != nil {
		return err
	}
	if err := ValidateMethod(&o.Method); err != nil {
		return err
	}
	if err := o.Auth.Validate(&o.Target); err != nil {
		return err
	}
	if err := o.Redirects.Validate(); err != nil {
		return err
	}
	if o.MaxBodyBytes <= 0 {
		return checks.FieldErrorf("max_body_bytes", "must be greater than 0")
	}
	return nil
}

// Validate checks the URL, the header names and values and the TLS block.
func (t *Target) Validate() error {
	if t.URL == "" {
		return checks.FieldErrorf("url", "url is required")
	}
	u, err := url.Parse(t.URL)
	if err != nil {
		return checks.FieldErrorf("url", "bad url: %v", ParseErrorShape(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return checks.FieldErrorf("url", "url %q: scheme must be http or https", u.Redacted())
	}
	if u.Host == "" {
		return checks.FieldErrorf("url", "url %q has no host", u.Redacted())
	}
	for name, v := range t.Headers {
		if !IsToken(name) {
			return checks.FieldErrorf("headers", "%q is not a valid header name", name)
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			return checks.FieldErrorf("headers", "value of %s contains a line break or NUL", name)
		}
	}
	if err := t.TLS.Validate(); err != nil {
		return checks.FieldErrorf("tls", "%v", err)
	}
	return nil
}

// ParsedURL is t.URL parsed; call it after Validate.
func (t *Target) ParsedURL() *url.URL {
	u, err := url.Parse(t.URL)
	if err != nil {
		return &url.URL{}
	}
	return u
}

// ValidateMethod upper-cases *m (GET by default) and checks it is a token.
func ValidateMethod(m *string) error {
	if *m == "" {
		*m = http.MethodGet
	}
	*m = strings.ToUpper(*m)
	if !IsToken(*m) {
		return checks.FieldErrorf("method", "%q is not an HTTP method", *m)
	}
	return nil
}

// Validate checks that at most one credential is given: basic_auth,
// bearer_token or user:password in t's URL.
func (a *Auth) Validate(t *Target) error {
	n := 0
	userInURL := false
	if u, err := url.Parse(t.URL); err == nil && u.User != nil {
		n++
		userInURL = true
	}
	if a.BasicAuth != nil {
		n++
	}
	if a.BearerToken != "" {
		n++
	}
	if n > 1 {
		field := "bearer_token"
		if userInURL {
			field = "url"
		}
		return checks.FieldErrorf(field, "use only one of bearer_token, basic_auth and user:password in url")
	}
	if a.BasicAuth != nil && a.BasicAuth.Username == "" && a.BasicAuth.Password == "" {
		return checks.FieldErrorf("basic_auth.username", "username is required")
	}
	if a.BasicAuth != nil || a.BearerToken != "" {
		for name := range t.Headers {
			if strings.EqualFold(name, "Authorization") {
				return checks.FieldErrorf("headers", "Authorization is set by bearer_token or basic_auth; do not also set it in headers")
			}
		}
	}
	return nil
}

// Apply sets the credentials on req.
func (a *Auth) Apply(req *http.Request) {
	switch {
	case a.BasicAuth != nil:
		req.SetBasicAuth(a.BasicAuth.Username, a.BasicAuth.Password)
	case a.BearerToken != "":
		req.Header.Set("Authorization", "Bearer "+a.BearerToken)
	}
}

// Validate checks the redirect limit.
func (r *Redirects) Validate() error {
	if r.MaxRedirects < 0 {
		return checks.FieldErrorf("max_redirects", "must be 0 or more")
	}
	return nil
}

// ApplyHeaders sets t's headers on req; a Host header sets req.Host.
func (t *Target) ApplyHeaders(req *http.Request) {
	for k, v := range t.Headers {
		if strings.EqualFold(k, "host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
}

// Transport is a clone of http.DefaultTransport (proxy from the
// environment, keep-alives, HTTP/2) with t's TLS options for https URLs.
func (t *Target) Transport() (*http.Transport, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	cfg, err := t.TLS.Config()
	if err != nil {
		return nil, err
	}
	tr.TLSClientConfig = cfg
	return tr, nil
}

// Client is an *http.Client for o: TLS options, no keep-alives (a
// connection of its own, used once: see ClientFor for the shared ones),
// no timeout but the request's context
// and o's redirect policy.
func (o *Options) Client() (*http.Client, error) {
	if o.shared != nil {
		return o.shared, nil
	}
	tr, err := o.Transport()
	if err != nil {
		return nil, err
	}
	tr.DisableKeepAlives = true
	tr.TLSHandshakeTimeout = 0 // the item's deadline bounds the handshake
	return &http.Client{Transport: tr, CheckRedirect: o.CheckRedirect(&o.Target)}, nil
}

// ClientFor is the client that sends req: when ctx carries a round's pool
// (checks.Pool) and req may share, a client over the round's kept
// connections, so that an earlier item's connection to the same server
// carries it; otherwise Client, a connection of its own. The second
// result says whether the connection may be shared.
//
// A request may share only when it is GET, HEAD or OPTIONS: the
// transport re-sends those by itself on a fresh connection when a kept
// one turns out to have been closed by the server meanwhile, so sharing
// can never turn a healthy server into a failed item. Requests share
// only with requests of the same TLS options and the same credentials
// and headers: a server that ties authentication to the connection (NTLM,
// a client certificate) never sees one item's request on another's
// authenticated connection.
func (o *Options) ClientFor(ctx context.Context, req *http.Request) (*http.Client, bool, error) {
	if o.shared != nil {
		return o.shared, false, nil
	}
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		c, err := o.Client()
		return c, false, err
	}
	key := keptKey{tls: o.TLS, identity: identity(req)}
	tr, ok, err := checks.Shared(ctx, key, func(done context.Context) (any, func(), error) {
		tr, err := o.keptTransport(done)
		if err != nil {
			return nil, nil, err
		}
		return tr, tr.CloseIdleConnections, nil
	})
	if err != nil {
		return nil, false, err
	}
	if !ok {
		c, err := o.Client()
		return c, false, err
	}
	return &http.Client{Transport: tr.(*http.Transport), CheckRedirect: o.CheckRedirect(&o.Target)}, true, nil
}

// keptKey is what must be equal for two requests to share connections.
type keptKey struct {
	tls      tlsopt.Options
	identity string
}

// identity is req's user info and every header but the few that never
// carry a credential, in a canonical order.
func identity(req *http.Request) string {
	var b strings.Builder
	if req.URL.User != nil {
		b.WriteString(req.URL.User.String())
	}
	names := make([]string, 0, len(req.Header))
	for k := range req.Header {
		if !safeHeaders[k] {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	for _, k := range names {
		b.WriteString("\n" + k + ":" + strings.Join(req.Header[k], "\x00"))
	}
	if req.Host != "" {
		b.WriteString("\nHost:" + req.Host)
	}
	return b.String()
}

// keptIdle is how long a kept connection may sit unused before it is
// closed: within a busy round connections are reused at once, and a
// connection idle longer is not trusted to still be open (servers close
// idle connections after as little as 2 s).
const keptIdle = time.Second

// keptTransport is a transport whose connections are kept between
// requests, for as many concurrent items as a round runs; a dial still
// under way when done ends (the round is over) is stopped.
func (o *Options) keptTransport(done context.Context) (*http.Transport, error) {
	tr, err := o.Transport()
	if err != nil {
		return nil, err
	}
	tr.MaxIdleConns = 0 // no limit over all hosts; MaxIdleConnsPerHost bounds each
	tr.MaxIdleConnsPerHost = maxKeptPerHost
	tr.IdleConnTimeout = keptIdle
	tr.TLSHandshakeTimeout = 0 // the item's deadline bounds the handshake
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		defer context.AfterFunc(done, cancel)()
		return dialer.DialContext(ctx, network, addr)
	}
	return tr, nil
}

// maxKeptPerHost bounds the idle connections kept to one server: at most
// one per item running at once, up to this (about 40 KiB each).
const maxKeptPerHost = 1024

// NewRequest builds o's request with body: method, URL, User-Agent,
// headers and credentials.
func (o *Options) NewRequest(ctx context.Context, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, o.Method, o.URL, body)
	if err != nil {
		return nil, fmt.Errorf("building request: %w", RedactError(err))
	}
	req.Header.Set("User-Agent", "readyctl")
	o.ApplyHeaders(req)
	o.Auth.Apply(req)
	return req, nil
}

// CheckRedirect is the client's redirect policy: it stops (returning the
// 3xx answer) unless FollowRedirects, fails after MaxRedirects, and drops
// every credential before a hop the configured origin does not trust.
func (r *Redirects) CheckRedirect(t *Target) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if !r.FollowRedirects {
			return http.ErrUseLastResponse
		}
		if len(via) > r.MaxRedirects {
			return fmt.Errorf("stopped after %d redirects (max_redirects)", r.MaxRedirects)
		}
		StripUntrusted(req, via[0].URL, t.Headers)
		return nil
	}
}

// StripUntrusted removes credentials from a redirected request unless it
// goes to the origin of first with the same or a stronger scheme. What
// counts as a credential: URL user info, Authorization, Proxy-Authorization,
// cookies, any credential-looking header, and every header the checklist
// configured except a few that never carry one (a configured header may
// hold a ${env:} secret under any name).
func StripUntrusted(req *http.Request, first *url.URL, configured map[string]string) {
	if Trusted(first, req.URL) {
		return
	}
	req.URL.User = nil
	for _, h := range []string{"Authorization", "Proxy-Authorization", "Cookie", "Cookie2"} {
		req.Header.Del(h)
	}
	for k := range configured {
		if !safeHeaders[http.CanonicalHeaderKey(k)] {
			req.Header.Del(k)
		}
	}
	for k := range req.Header {
		if IsCredentialName(k) {
			req.Header.Del(k)
		}
	}
}

// safeHeaders are configured headers that may follow a redirect anywhere.
var safeHeaders = map[string]bool{
	"Accept": true, "Accept-Language": true, "Accept-Encoding": true, "User-Agent": true,
	"Content-Type": true, "Cache-Control": true, "Pragma": true,
}

// Trusted reports whether a request to u may carry the credentials meant
// for origin: same host and port, and not downgraded from https to http.
func Trusted(origin, u *url.URL) bool {
	if origin.Scheme == "https" && u.Scheme != "https" {
		return false
	}
	return strings.EqualFold(hostPort(origin), hostPort(u))
}

func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return u.Hostname() + ":" + port
}

// SignedTransport adds credentials (through apply) to every request that
// origin trusts, and to no other: a client library that builds its own
// requests and follows redirects itself never sends them elsewhere.
func SignedTransport(next http.RoundTripper, origin *url.URL, apply func(*http.Request)) http.RoundTripper {
	return &signed{next: next, origin: origin, apply: apply}
}

type signed struct {
	next   http.RoundTripper
	origin *url.URL
	apply  func(*http.Request)
}

func (s *signed) RoundTrip(req *http.Request) (*http.Response, error) {
	if Trusted(s.origin, req.URL) {
		req = req.Clone(req.Context())
		s.apply(req)
	}
	return s.next.RoundTrip(req)
}

func (s *signed) CloseIdleConnections() {
	if c, ok := s.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// IsCredentialName reports whether a header or query parameter name looks
// like it carries a credential.
func IsCredentialName(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "cookie", "key", "sig", "signature", "code":
		return true
	}
	for _, s := range []string{"authorization", "token", "api-key", "apikey", "api_key", "secret", "session", "password", "passwd", "credential"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	for _, part := range strings.FieldsFunc(n, func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
		if part == "auth" {
			return true
		}
	}
	return false
}

// IsToken reports whether s is an RFC 9110 token (method or header name).
func IsToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// RedactError drops *url.Error's URL (it may carry a password), keeping
// the operation and the cause.
func RedactError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// ParseErrorShape is a url.Parse error without the URL and with quoted
// fragments of it elided: a password with a '/' or '#' makes the parser
// quote a piece of it as a "port" or "host", which no secret list knows.
func ParseErrorShape(err error) string {
	return quoted.ReplaceAllString(RedactError(err).Error(), `"…"`)
}

var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// UnwrapURLError drops *url.Error's "Get URL:" prefix (it may carry a
// password) while keeping the cause for classification.
func UnwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// RedactURL is s with any password replaced, for messages.
func RedactURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return "(unparsable url)"
}
