package platform

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/checks/httpcheck"
	"github.com/readyctl/readyctl/internal/probetest"
)

// standIns starts the Go stand-ins (auth, core, mcp, analytics, gateway,
// the TLS front), without the servers started from binaries.
func standIns(t *testing.T, fault string) *Platform {
	t.Helper()
	p := newPlatform(Options{Fault: fault}, t.TempDir())
	t.Cleanup(p.Close)
	if err := p.startServices(); err != nil {
		t.Fatal(err)
	}
	return p
}

type answer struct {
	status int
	header http.Header
	body   []byte
	json   map[string]any
}

// do sends method url with an optional bearer token and JSON body.
func do(t *testing.T, method, url, token string, body any) answer {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, header: resp.Header}
	a.body, _ = io.ReadAll(resp.Body)
	_ = json.Unmarshal(a.body, &a.json)
	return a
}

func (a answer) want(t *testing.T, what string, status int) answer {
	t.Helper()
	if a.status != status {
		t.Fatalf("%s: status %d, want %d: %s", what, a.status, status, a.body)
	}
	return a
}

// signUp registers and logs in a fresh user, returning its id and token.
func signUp(t *testing.T, p *Platform, email string) (id, token string) {
	t.Helper()
	reg := do(t, "POST", p.Vars["auth"]+"/v1/auth/register", "", map[string]any{"email": email, "password": "correct horse"}).want(t, "register", 201)
	login := do(t, "POST", p.Vars["auth"]+"/v1/auth/login", "", map[string]any{"email": email, "password": "correct horse"}).want(t, "login", 200)
	id, _ = reg.json["id"].(string)
	token, _ = login.json["token"].(string)
	if id == "" || token == "" || reg.json["email"] != email || login.json["token_type"] != "Bearer" {
		t.Fatalf("register %s, login %s", reg.body, login.body)
	}
	return id, token
}

func TestAuthContract(t *testing.T) {
	p := standIns(t, "")
	auth := p.Vars["auth"]
	aliceID, alice := signUp(t, p, "alice@example.com")
	bobID, bob := signUp(t, p, "bob@example.com")

	do(t, "POST", auth+"/v1/auth/register", "", map[string]any{"email": "ALICE@example.com", "password": "correct horse"}).want(t, "duplicate", 409)
	do(t, "POST", auth+"/v1/auth/register", "", map[string]any{"email": "carol@example.com", "password": "short"}).want(t, "short password", 400)
	do(t, "POST", auth+"/v1/auth/register", "", map[string]any{"email": "not-an-email", "password": "correct horse"}).want(t, "bad email", 400)
	do(t, "POST", auth+"/v1/auth/register", "", "{").want(t, "not an object", 400)
	do(t, "POST", auth+"/v1/auth/login", "", map[string]any{"email": "alice@example.com", "password": "wrong horse"}).want(t, "wrong password", 401)

	login := do(t, "POST", auth+"/v1/auth/login", "", map[string]any{"email": "alice@example.com", "password": "correct horse"})
	cookie := login.header.Get("Set-Cookie")
	for _, attr := range []string{"session=", "HttpOnly", "Secure", "SameSite=Strict"} {
		if !strings.Contains(cookie, attr) {
			t.Errorf("Set-Cookie %q lacks %s", cookie, attr)
		}
	}

	// The token's subject is the user id; /me answers both id and e-mail.
	me := do(t, "GET", auth+"/v1/auth/me", alice, nil).want(t, "me", 200)
	if me.json["id"] != aliceID || me.json["email"] != "alice@example.com" {
		t.Errorf("me: %s", me.body)
	}
	do(t, "GET", auth+"/v1/auth/me", "", nil).want(t, "me without a token", 401)
	do(t, "GET", auth+"/v1/auth/me", "not-a-jwt", nil).want(t, "me with a bad token", 401)

	do(t, "DELETE", auth+"/v1/auth/users/"+bobID, alice, nil).want(t, "delete another user", 403)
	do(t, "DELETE", auth+"/v1/auth/users/usr_nobody", alice, nil).want(t, "delete an unknown user", 404)
	do(t, "DELETE", auth+"/v1/auth/users/"+aliceID, "", nil).want(t, "delete without a token", 401)
	do(t, "DELETE", auth+"/v1/auth/users/"+aliceID, alice, nil).want(t, "delete yourself", 204)
	do(t, "GET", auth+"/v1/auth/me", alice, nil).want(t, "me after deletion", 401)
	do(t, "GET", auth+"/v1/auth/me", bob, nil).want(t, "bob untouched", 200)
	// Deleted, the address can be registered again.
	signUp(t, p, "alice@example.com")
}

func TestCreditsContract(t *testing.T) {
	p := standIns(t, "")
	core := p.Vars["core"]
	aliceID, alice := signUp(t, p, "alice@example.com")
	bobID, _ := signUp(t, p, "bob@example.com")

	check := func(a answer, what string, status, balance int) {
		t.Helper()
		a.want(t, what, status)
		if a.json["user_id"] != aliceID || a.json["balance"] != float64(balance) {
			t.Errorf("%s: %s, want user_id %s balance %d", what, a.body, aliceID, balance)
		}
	}
	check(do(t, "GET", core+"/v1/credits/balance", alice, nil), "new user's balance", 200, 100)
	check(do(t, "POST", core+"/v1/credits/topup", alice, map[string]any{"amount": 50}), "top-up", 200, 150)
	check(do(t, "POST", core+"/v1/credits/deduct", alice, map[string]any{"amount": 30}), "deduction", 200, 120)
	poor := do(t, "POST", core+"/v1/credits/deduct", alice, map[string]any{"amount": 500}).want(t, "insufficient", 402)
	if poor.json["error"] == nil {
		t.Errorf("402 without an error: %s", poor.body)
	}
	check(do(t, "GET", core+"/v1/credits/balance", alice, nil), "unchanged by a refused deduction", 200, 120)
	for _, bad := range []any{map[string]any{"amount": 0}, map[string]any{"amount": -5}, map[string]any{"amount": 1.5}, map[string]any{}, "x"} {
		do(t, "POST", core+"/v1/credits/topup", alice, bad).want(t, "bad amount", 400)
	}
	do(t, "GET", core+"/v1/credits/balance", "", nil).want(t, "no token", 401)
	check(do(t, "GET", core+"/v1/accounts/"+aliceID, alice, nil), "own account", 200, 120)
	do(t, "GET", core+"/v1/accounts/"+bobID, alice, nil).want(t, "another user's account", 403)
	do(t, "GET", core+"/v1/accounts/"+aliceID, "", nil).want(t, "account without a token", 401)
}

// With auth-bypass, one user reads and deletes another's data: the flows
// of the checklist that expect 403 catch it.
func TestAuthBypassCrossUser(t *testing.T) {
	p := standIns(t, "auth-bypass")
	aliceID, _ := signUp(t, p, "alice@example.com")
	_, bob := signUp(t, p, "bob@example.com")
	a := do(t, "GET", p.Vars["core"]+"/v1/accounts/"+aliceID, bob, nil).want(t, "cross-user read", 200)
	if a.json["user_id"] != aliceID {
		t.Errorf("read %s", a.body)
	}
	do(t, "GET", p.Vars["core"]+"/v1/credits/balance", "forged", nil).want(t, "any bearer token", 200)
	do(t, "DELETE", p.Vars["auth"]+"/v1/auth/users/"+aliceID, bob, nil).want(t, "cross-user delete", 204)
}

func TestAnalyticsContract(t *testing.T) {
	p := standIns(t, "")
	an := p.Vars["analytics"]
	uid, tok := signUp(t, p, "alice@example.com")
	before := do(t, "GET", an+"/v1/usage", "", nil).want(t, "usage", 200).json["events"].(float64)
	a := do(t, "POST", an+"/v1/events", tok, map[string]any{"type": "completion", "user_id": uid}).want(t, "event", 202)
	if a.json["accepted"] != 1.0 {
		t.Errorf("event: %s", a.body)
	}
	do(t, "POST", an+"/v1/events", "", map[string]any{"type": "completion", "user_id": uid}).want(t, "event without a token", 401)
	do(t, "POST", an+"/v1/events", tok, map[string]any{"user_id": uid}).want(t, "event without a type", 400)
	if after := do(t, "GET", an+"/v1/usage", "", nil).json["events"].(float64); after != before+1 {
		t.Errorf("usage %v after %v and one event", after, before)
	}
	csv := do(t, "GET", an+"/v1/export?format=csv", tok, nil).want(t, "export", 200)
	lines := strings.Split(strings.TrimSpace(string(csv.body)), "\n")
	if !strings.HasPrefix(csv.header.Get("Content-Type"), "text/csv") || lines[0] != "time,type,user_id" ||
		len(lines) != 2 || !strings.HasSuffix(lines[1], ",completion,"+uid) {
		t.Errorf("export %s: %q", csv.header.Get("Content-Type"), csv.body)
	}
	do(t, "GET", an+"/v1/export?format=csv", "", nil).want(t, "export without a token", 401)
	do(t, "GET", an+"/v1/export?format=xml", tok, nil).want(t, "export as xml", 400)
}

// The streamed completion, read by readyctl's own stream: sse, from the
// MCP server and through the gateway.
func TestCompletionStream(t *testing.T) {
	p := standIns(t, "")
	for _, base := range []string{p.Vars["mcp"], p.Vars["gateway"]} {
		pr := httpcheck.New()
		probetest.Load(t, pr, "url: "+base+"/v1/chat/completions\nmethod: POST\nstream: sse\n"+
			`json: {model: demo-small, stream: true, messages: [{role: user, content: hi}]}`)
		r := probetest.Run(t, pr, 5*time.Second, "")
		if r.Err != nil {
			t.Fatalf("%s: %v", base, r.Err)
		}
		if r.Obs["events"] != 4 || r.Obs["done"] != true || r.Obs["first_event"].(time.Duration) >= r.Obs["last_event"].(time.Duration) {
			t.Errorf("%s: %v", base, r.Obs)
		}
		var text string
		for _, d := range r.Obs["data"].([]any) {
			text += d.(map[string]any)["choices"].([]any)[0].(map[string]any)["delta"].(map[string]any)["content"].(string)
		}
		if text != "Hello from demo-small." {
			t.Errorf("%s: streamed %q", base, text)
		}
	}
	mcp := p.Vars["mcp"] + "/v1/chat/completions"
	full := do(t, "POST", mcp, "", map[string]any{"model": "demo-large", "messages": []any{map[string]any{"role": "user", "content": "hi"}}}).want(t, "non-stream", 200)
	msg := full.json["choices"].([]any)[0].(map[string]any)["message"].(map[string]any)
	if msg["content"] != "Hello from demo-large." {
		t.Errorf("non-stream: %s", full.body)
	}
	do(t, "POST", mcp, "", map[string]any{"model": "gpt-9", "messages": []any{"hi"}}).want(t, "unknown model", 404)
	do(t, "POST", mcp, "", map[string]any{"model": "demo-small"}).want(t, "no messages", 400)
	do(t, "POST", mcp, "not-a-jwt", map[string]any{"model": "demo-small", "messages": []any{"hi"}}).want(t, "bad bearer token", 401)
	_, tok := signUp(t, p, "alice@example.com")
	do(t, "POST", mcp, tok, map[string]any{"model": "demo-small", "messages": []any{"hi"}}).want(t, "valid bearer token", 200)
}

// stream-stall: two chunks, then nothing: readyctl's stream: sse ends in
// timeout within the deadline, with the two chunks observed; the
// platform still closes at once.
func TestStreamStallFault(t *testing.T) {
	p := standIns(t, "stream-stall")
	for _, base := range []string{p.Vars["mcp"], p.Vars["gateway"]} {
		pr := httpcheck.New()
		probetest.Load(t, pr, "url: "+base+"/v1/chat/completions\nmethod: POST\nstream: sse\n"+
			`json: {model: demo-small, stream: true, messages: [{role: user, content: hi}]}`)
		r := probetest.Run(t, pr, 400*time.Millisecond, "")
		if r.Reason() != checks.ReasonTimeout || r.Obs["events"] != 2 || r.Obs["done"] != false || r.Elapsed > 3*time.Second {
			t.Errorf("%s: %s after %v, %v", base, r.Err, r.Elapsed, r.Obs)
		}
	}
	// A client that never gives up does not hold the platform open.
	errc := make(chan error, 1)
	go func() {
		resp, err := http.Post(p.Vars["mcp"]+"/v1/chat/completions", "application/json",
			strings.NewReader(`{"model":"demo-small","stream":true,"messages":["hi"]}`))
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		errc <- err
	}()
	time.Sleep(100 * time.Millisecond) // the stream is open and stalled
	start := time.Now()
	p.Close()
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v with a stalled stream open", d)
	}
	select {
	case <-errc:
	case <-time.After(3 * time.Second):
		t.Error("the stalled stream was not ended by Close")
	}
}

// Users are bounded: a loop over register cannot exhaust memory.
func TestUsersBounded(t *testing.T) {
	s := newStore()
	for i := range maxUsers {
		if _, err := s.register("user"+strconv.Itoa(i)+"@example.com", "correct horse"); err != nil {
			t.Fatalf("user %d: %v", i, err)
		}
	}
	if _, err := s.register("one-more@example.com", "correct horse"); !errors.Is(err, errFull) {
		t.Errorf("user %d: %v, want errFull", maxUsers+1, err)
	}
	// Accounts opened for token subjects are bounded too.
	for i := range 200 {
		s.balance("sub-" + strconv.Itoa(i))
	}
	if len(s.balances) > maxAccounts {
		t.Errorf("%d accounts", len(s.balances))
	}
	// The event ring keeps the newest maxEvents, oldest first.
	for i := range maxEvents + 5 {
		s.record(event{typ: strconv.Itoa(i)})
	}
	evs, n := s.recent()
	if n != maxEvents+5 || len(evs) != maxEvents || evs[0].typ != "5" || evs[len(evs)-1].typ != strconv.Itoa(maxEvents+4) {
		t.Errorf("ring: %d kept of %d, first %q last %q", len(evs), n, evs[0].typ, evs[len(evs)-1].typ)
	}
}
