package mcpcheck

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/probetest"
)

// TestMain lets the test binary double as a stdio MCP server, so the
// stdio transport is tested against a real server process.
func TestMain(m *testing.M) {
	if os.Getenv("READYCTL_TEST_MCP_STDIO") == "1" {
		if err := newServer().Run(context.Background(), &mcp.StdioTransport{}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type searchArgs struct {
	Query string `json:"query" jsonschema:"what to look for"`
}

// newServer is a real MCP server: two tools (one read-only), a prompt and
// a resource.
func newServer() *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "platform-mcp", Version: "1.4.2"}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "search", Description: "search the catalogue", Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true}},
		func(_ context.Context, _ *mcp.CallToolRequest, in searchArgs) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "3 results for " + in.Query}}}, nil, nil
		})
	mcp.AddTool(s, &mcp.Tool{Name: "delete_model", Description: "deletes a model"},
		func(_ context.Context, _ *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "deleted"}}}, nil, nil
		})
	s.AddPrompt(&mcp.Prompt{Name: "summarise"}, func(context.Context, *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
		return &mcp.GetPromptResult{}, nil
	})
	s.AddResource(&mcp.Resource{Name: "models", URI: "models://all", MIMEType: "application/json"}, func(context.Context, *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
		return &mcp.ReadResourceResult{}, nil
	})
	return s
}

// httpServer serves newServer over Streamable HTTP on loopback; with a
// token, every request must carry it.
func httpServer(t *testing.T, token string) string {
	t.Helper()
	s := newServer()
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token != "" && r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/mcp"
}

func load(t *testing.T, src string) *Probe {
	t.Helper()
	p := New()
	probetest.Load(t, p, src)
	return p
}

func run(t *testing.T, src, secret string) probetest.Result {
	t.Helper()
	return probetest.Run(t, load(t, src), 10*time.Second, secret)
}

func TestStreamableHTTP(t *testing.T) {
	url := httpServer(t, "")
	r := run(t, "url: "+url+"\ncall: {tool: search, arguments: {query: gpt}}", "")
	r.Want(t, "pass")
	for k, want := range map[string]any{"server_name": "platform-mcp", "server_version": "1.4.2"} {
		if r.Obs[k] != want {
			t.Errorf("%s = %v, want %v", k, r.Obs[k], want)
		}
	}
	if pv, _ := r.Obs["protocol_version"].(string); pv == "" {
		t.Error("no protocol_version")
	}
	assertList(t, r.Obs["tools"], "delete_model", "search")
	assertList(t, r.Obs["prompts"], "summarise")
	assertList(t, r.Obs["resources"], "models")
	if _, ok := r.Obs["tool_schemas"].(map[string]any)["search"]; !ok {
		t.Errorf("tool_schemas %v", r.Obs["tool_schemas"])
	}
	call := r.Obs["call"].(map[string]any)
	if call["is_error"] != false || call["text"] != "3 results for gpt" {
		t.Errorf("call %v", call)
	}
	if c := r.Obs["capabilities"].(map[string]any); c["tools"] != true || c["prompts"] != true {
		t.Errorf("capabilities %v", c)
	}
}

func TestStdio(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("READYCTL_TEST_MCP_STDIO", "1")
	r := run(t, "command: ["+exe+"]\ncall: {tool: search, arguments: {query: x}}", "")
	r.Want(t, "pass")
	assertList(t, r.Obs["tools"], "delete_model", "search")
	if r.Obs["call"].(map[string]any)["text"] != "3 results for x" {
		t.Errorf("call %v", r.Obs["call"])
	}
}

// A tool that is not annotated read-only is never called unless the item
// says writes: true.
func TestWritesRequired(t *testing.T) {
	url := httpServer(t, "")
	r := run(t, "url: "+url+"\ncall: {tool: delete_model}", "")
	r.Want(t, "fail", `not calling "delete_model": the server does not annotate it read-only`)
	if r.Obs["call"] != nil {
		t.Error("the tool was called")
	}
	r = run(t, "url: "+url+"\ncall: {tool: delete_model}\nwrites: true", "")
	r.Want(t, "pass")
	r = run(t, "url: "+url+"\ncall: {tool: nope}", "")
	r.Want(t, "fail", `the server has no tool "nope" (tools: delete_model, search)`)
}

func TestAuth(t *testing.T) {
	const token = "s3cr3t-mcp-token"
	url := httpServer(t, token)
	r := run(t, "url: "+url, "")
	r.Want(t, "error", "401 Unauthorized")
	if r.Reason() != checks.ReasonAuth {
		t.Errorf("reason %q, want auth", r.Reason())
	}
	r = run(t, "url: "+url+"\nbearer_token: "+token, token)
	r.Want(t, "pass")
}

// A web server that is not MCP is classified protocol, not a pass and not
// a mystery.
func TestNotMCP(t *testing.T) {
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html>hello</html>")
	}))
	defer html.Close()
	notFound := httptest.NewServer(http.NotFoundHandler())
	defer notFound.Close()
	for _, url := range []string{html.URL, notFound.URL} {
		r := run(t, "url: "+url, "")
		r.Want(t, "error", "not MCP")
		if r.Reason() != ReasonProtocol {
			t.Errorf("%s: reason %q, want protocol", url, r.Reason())
		}
	}
	r := run(t, "command: [sh, -c, 'echo not json; echo broken >&2']", "")
	r.Want(t, "error")
	if r.Reason() != ReasonProtocol && r.Reason() != checks.ReasonConnectionReset {
		t.Errorf("stdio garbage: reason %q", r.Reason())
	}
}

func TestTimeoutAndRefused(t *testing.T) {
	addr := probetest.SilentServer(t)
	p := load(t, "url: http://"+addr+"/mcp")
	r := probetest.Run(t, p, 300*time.Millisecond, "")
	r.Want(t, "error")
	if r.Reason() != checks.ReasonTimeout {
		t.Errorf("reason %q (%v), want timeout", r.Reason(), r.Err)
	}
	if r.Elapsed > 3*time.Second {
		t.Errorf("took %v", r.Elapsed)
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	r = run(t, "url: "+url, "")
	if r.Reason() != checks.ReasonConnectionRefused {
		t.Errorf("reason %q (%v), want connection_refused", r.Reason(), r.Err)
	}
}

func TestValidate(t *testing.T) {
	for src, want := range map[string]string{
		"writes: true":                             "url: give url:",
		"url: http://a/mcp\ncommand: [x]":          "command: give url: or command:, not both",
		"url: ftp://a":                             "url: url \"ftp://a\": scheme must be http or https",
		"command: [x]\nbearer_token: t":            "command: headers and credentials are for url:",
		"url: http://a/mcp\ncall: {arguments: {}}": "call.tool: call: needs the tool's name",
	} {
		p := New()
		probetest.Decode(t, p, src)
		if err := p.Validate(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", src, err, want)
		}
	}
}

func assertList(t *testing.T, got any, want ...string) {
	t.Helper()
	l, ok := got.([]any)
	if !ok || len(l) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if l[i] != want[i] {
			t.Errorf("got %v, want %v", got, want)
		}
	}
}
