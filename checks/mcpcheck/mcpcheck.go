// Package mcpcheck is the `mcp` probe kind: it speaks the Model Context
// Protocol as a client (the official Go SDK) over Streamable HTTP or over
// stdio to a local server, performs the initialize handshake and lists
// tools, prompts and resources. It calls a tool only when the item names
// one, and only when the server marks that tool read-only or the item says
// `writes: true`: a readiness check must not change what it checks.
package mcpcheck

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/checks/reqopt"
)

//go:embed example.yaml
var example string

func init() {
	checks.Register(checks.Kind{
		Name:         "mcp",
		New:          func() checks.Probe { return New() },
		Summary:      "an MCP server over Streamable HTTP or stdio: handshake, tools, prompts, resources, and one read-only tool call",
		Example:      example,
		Context:      []string{"server_name", "tools"},
		Observations: observations,
	})
}

var observations = []checks.Observation{
	{Name: "protocol_version", Type: checks.TypeString, Doc: "the protocol version the server agreed to", Key: true},
	{Name: "server_name", Type: checks.TypeString, Doc: "the server's name (serverInfo.name)", Key: true},
	{Name: "server_version", Type: checks.TypeString, Doc: "the server's version (serverInfo.version)"},
	{Name: "capabilities", Type: checks.TypeMap, Doc: "the server's capabilities by name (tools, prompts, resources, logging, completions): true when offered"},
	{Name: "latency", Type: checks.TypeDuration, Doc: "time to connect, initialize and list everything", Key: true},
	{Name: "tools", Type: checks.TypeList, Doc: "tool names", Key: true},
	{Name: "prompts", Type: checks.TypeList, Doc: "prompt names"},
	{Name: "resources", Type: checks.TypeList, Doc: "resource names"},
	{Name: "tool_schemas", Type: checks.TypeMap, Doc: "each tool's input JSON schema, by tool name"},
	{Name: "call", Type: checks.TypeMap, Doc: "with call: the tool call's outcome (nil otherwise)"},
	{Name: "call.is_error", Type: checks.TypeBool, Doc: "the tool reported an error (isError)"},
	{Name: "call.text", Type: checks.TypeString, Doc: "the text content of the result, joined"},
	{Name: "call.latency", Type: checks.TypeDuration, Doc: "time of the tool call"},
}

// Call is the optional `call:` block.
type Call struct {
	Tool      string         `yaml:"tool" doc:"the tool to call"`
	Arguments map[string]any `yaml:"arguments" doc:"the call's arguments"`
}

// Probe is the `mcp:` block of an item.
type Probe struct {
	reqopt.Target `yaml:",inline"`
	reqopt.Auth   `yaml:",inline"`
	Command       []string `yaml:"command" doc:"a local MCP server to start and speak to over stdio (instead of url)"`
	Call          *Call    `yaml:"call" doc:"call one tool: only a tool the server annotates readOnlyHint, unless writes: true"`
	Writes        bool     `yaml:"writes" doc:"allow call: to use a tool that is not read-only (the plan and report show it)"`
	MaxBodyBytes  int      `yaml:"max_message_bytes" doc:"bound on one message from the server (default 4 MiB)"`
}

// New returns a Probe with its defaults.
func New() *Probe { return &Probe{MaxBodyBytes: 4 << 20} }

// Validate checks the configuration without I/O.
func (p *Probe) Validate() error {
	switch {
	case p.URL == "" && len(p.Command) == 0:
		return checks.FieldErrorf("url", "give url: (Streamable HTTP) or command: (a local server over stdio)")
	case p.URL != "" && len(p.Command) > 0:
		return checks.FieldErrorf("command", "give url: or command:, not both")
	}
	if p.URL != "" {
		if err := p.Target.Validate(); err != nil {
			return err
		}
		if err := p.Auth.Validate(&p.Target); err != nil {
			return err
		}
	} else {
		if strings.TrimSpace(p.Command[0]) == "" {
			return checks.FieldErrorf("command", "command[0] is empty")
		}
		if len(p.Headers) > 0 || p.BearerToken != "" || p.BasicAuth != nil {
			return checks.FieldErrorf("command", "headers and credentials are for url:; a stdio server takes its settings from its command line")
		}
	}
	if p.Call != nil && strings.TrimSpace(p.Call.Tool) == "" {
		return checks.FieldErrorf("call.tool", "call: needs the tool's name")
	}
	if p.MaxBodyBytes <= 0 {
		return checks.FieldErrorf("max_message_bytes", "must be greater than 0")
	}
	return nil
}

// SecretFreeFields: the program a stdio server runs must be written in the
// checklist, never taken from the environment.
func (p *Probe) SecretFreeFields() map[string]string {
	if len(p.Command) == 0 {
		return nil
	}
	return map[string]string{"command[0]": p.Command[0]}
}

// Run connects, lists, and calls the tool when asked.
func (p *Probe) Run(ctx context.Context) (checks.Observations, error) {
	obs := checks.Observations{
		"tools": []any{}, "prompts": []any{}, "resources": []any{}, "tool_schemas": map[string]any{},
		"capabilities": map[string]any{}, "call": nil,
	}
	start := time.Now()
	transport, watch, err := p.transport(ctx)
	if err != nil {
		return obs, err
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "readyctl", Version: "1"}, nil)
	session, err := client.Connect(ctx, transport, nil)
	if err != nil {
		return obs, watch.classify(ctx, "initialize", err)
	}
	defer session.Close()
	init := session.InitializeResult()
	obs["protocol_version"] = init.ProtocolVersion
	if init.ServerInfo != nil {
		obs["server_name"], obs["server_version"] = init.ServerInfo.Name, init.ServerInfo.Version
	}
	caps := map[string]any{}
	if c := init.Capabilities; c != nil {
		caps["tools"], caps["prompts"], caps["resources"] = c.Tools != nil, c.Prompts != nil, c.Resources != nil
		caps["logging"], caps["completions"] = c.Logging != nil, c.Completions != nil
	}
	obs["capabilities"] = caps

	var tools []*mcp.Tool
	if caps["tools"] == true {
		schemas := map[string]any{}
		var names []any
		for t, err := range session.Tools(ctx, nil) {
			if err != nil {
				return obs, watch.classify(ctx, "tools/list", err)
			}
			tools = append(tools, t)
			names = append(names, t.Name)
			schemas[t.Name] = t.InputSchema
		}
		obs["tools"], obs["tool_schemas"] = orEmpty(names), schemas
	}
	if caps["prompts"] == true {
		var names []any
		for pr, err := range session.Prompts(ctx, nil) {
			if err != nil {
				return obs, watch.classify(ctx, "prompts/list", err)
			}
			names = append(names, pr.Name)
		}
		obs["prompts"] = orEmpty(names)
	}
	if caps["resources"] == true {
		var names []any
		for r, err := range session.Resources(ctx, nil) {
			if err != nil {
				return obs, watch.classify(ctx, "resources/list", err)
			}
			names = append(names, r.Name)
		}
		obs["resources"] = orEmpty(names)
	}
	obs["latency"] = time.Since(start)
	if p.Call == nil {
		return obs, nil
	}
	return obs, p.call(ctx, session, tools, obs, watch)
}

func (p *Probe) call(ctx context.Context, session *mcp.ClientSession, tools []*mcp.Tool, obs checks.Observations, watch *watcher) error {
	var tool *mcp.Tool
	for _, t := range tools {
		if t.Name == p.Call.Tool {
			tool = t
		}
	}
	if tool == nil {
		return checks.Fail("", "the server has no tool %q (tools: %s)", p.Call.Tool, names(tools))
	}
	if !p.Writes && (tool.Annotations == nil || !tool.Annotations.ReadOnlyHint) {
		return checks.Fail("", "not calling %q: the server does not annotate it read-only (readOnlyHint), and the item does not say writes: true", tool.Name)
	}
	start := time.Now()
	res, err := session.CallTool(ctx, &mcp.CallToolParams{Name: tool.Name, Arguments: p.Call.Arguments})
	if err != nil {
		return watch.classify(ctx, "tools/call "+tool.Name, err)
	}
	var text []string
	for _, c := range res.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			text = append(text, t.Text)
		}
	}
	obs["call"] = map[string]any{"is_error": res.IsError, "text": strings.Join(text, "\n"), "latency": time.Since(start)}
	return nil
}

// transport builds the client transport and a watcher that remembers what
// the HTTP server answered, to classify a failed handshake.
func (p *Probe) transport(ctx context.Context) (mcp.Transport, *watcher, error) {
	w := &watcher{}
	if len(p.Command) > 0 {
		cmd := exec.CommandContext(ctx, p.Command[0], p.Command[1:]...)
		// Its own process group, killed whole when the item ends.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
		cmd.WaitDelay = 500 * time.Millisecond
		cmd.Stderr = &w.stderr
		return &mcp.CommandTransport{Command: cmd, TerminateDuration: 500 * time.Millisecond}, w, nil
	}
	tr, err := p.Target.Transport()
	if err != nil {
		return nil, nil, checks.WithReason(checks.ReasonConfig, err)
	}
	origin := p.ParsedURL()
	signed := reqopt.SignedTransport(tr, origin, func(req *http.Request) {
		p.ApplyHeaders(req)
		p.Auth.Apply(req)
	})
	client := &http.Client{
		Transport: &recording{next: signed, w: w, ctx: ctx},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			reqopt.StripUntrusted(req, via[0].URL, p.Headers)
			if len(via) >= 5 {
				return errors.New("stopped after 5 redirects")
			}
			return nil
		},
	}
	return &mcp.StreamableClientTransport{
		Endpoint: p.URL, HTTPClient: client, MaxRetries: -1,
		DisableStandaloneSSE: true, MaxEventSize: p.MaxBodyBytes,
	}, w, nil
}

// watcher remembers the last HTTP status and content type seen, and a
// stdio server's last words on stderr.
type watcher struct {
	mu          sync.Mutex
	status      int
	contentType string
	stderr      tail
}

func (w *watcher) saw(status int, ct string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.status, w.contentType = status, ct
}

// classify: a deadline is a timeout; a 401/403 is auth; a network or TLS
// problem keeps its own reason; anything else the server said was not
// MCP: protocol.
func (w *watcher) classify(ctx context.Context, step string, err error) error {
	w.mu.Lock()
	status, ct := w.status, w.contentType
	w.mu.Unlock()
	err = fmt.Errorf("%s: %w", step, reqopt.RedactError(err))
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%w)", err, ctx.Err())
	}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return checks.WithReason(checks.ReasonAuth, fmt.Errorf("%w: the server answered %d %s (check bearer_token or headers)", err, status, http.StatusText(status)))
	case status != 0 && status >= 300:
		return checks.WithReason(ReasonProtocol, fmt.Errorf("%w: the server answered HTTP %d (%s), not MCP", err, status, ct))
	case status != 0 && !strings.HasPrefix(ct, "application/json") && !strings.HasPrefix(ct, "text/event-stream"):
		return checks.WithReason(ReasonProtocol, fmt.Errorf("%w: the server answered %s, not MCP", err, ct))
	}
	if r := checks.Classify(err); r != checks.ReasonUnknown {
		return err
	}
	if s := w.stderr.String(); s != "" {
		err = fmt.Errorf("%w (server stderr: %s)", err, s)
	}
	return checks.WithReason(ReasonProtocol, err)
}

// ReasonProtocol: the server does not speak MCP as expected (not MCP, bad
// JSON-RPC, version mismatch).
const ReasonProtocol = "protocol"

// recording notes each answer's status for classify, and ties every
// request to the item's context: the SDK sends some requests (closing the
// session) on contexts of its own, which must not outlive the item.
type recording struct {
	next http.RoundTripper
	w    *watcher
	ctx  context.Context
}

func (r *recording) RoundTrip(req *http.Request) (*http.Response, error) {
	rctx, cancel := context.WithCancel(req.Context())
	stop := context.AfterFunc(r.ctx, cancel)
	resp, err := r.next.RoundTrip(req.WithContext(rctx))
	if err != nil {
		stop()
		cancel()
		return nil, err
	}
	r.w.saw(resp.StatusCode, resp.Header.Get("Content-Type"))
	resp.Body = &releasing{ReadCloser: resp.Body, release: func() { stop(); cancel() }}
	return resp, nil
}

type releasing struct {
	io.ReadCloser
	release func()
}

func (b *releasing) Close() error {
	err := b.ReadCloser.Close()
	b.release()
	return err
}

// tail keeps the last 2 KiB written to it.
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2048 {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-2048:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.buf))
}

func names(tools []*mcp.Tool) string {
	var out []string
	for _, t := range tools {
		out = append(out, t.Name)
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

func orEmpty(l []any) []any {
	if l == nil {
		return []any{}
	}
	return l
}

var (
	_ checks.Probe      = (*Probe)(nil)
	_ checks.SecretFree = (*Probe)(nil)
)
