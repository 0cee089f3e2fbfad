package httpcheck

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/readyctl/readyctl/checks"
)

func (p *Probe) validateAuthRequired() error {
	if !p.AuthRequired {
		return nil
	}
	return p.requireSafeMethod("auth_required")
}

// authAttempt is one way of asking without valid credentials.
type authAttempt struct {
	name          string // observation key
	what          string // for messages
	authorization string // "" = none
}

// checkAuthRequired repeats the request three times with every credential
// removed (user info, Authorization, Cookie, credential-looking headers
// and query parameters): bare, with a malformed bearer token, and with an
// unsigned alg:none JWT. Redirects are not followed, so a redirect to a
// login page is reported as what it is.
//
// A 401 without WWW-Authenticate does not fail: the request was refused,
// which is what matters here. It is recorded as www_authenticate: false so
// a checklist can insist with `expect: auth_required.www_authenticate`.
func checkAuthRequired(ctx context.Context, e *env, obs checks.Observations) ([]string, error) {
	attempts := []authAttempt{
		{"no_credentials", "the request without credentials", ""},
		{"malformed_token", "the request with a malformed bearer token", "Bearer readyctl-malformed-" + randomHex(4) + "!"},
		{"alg_none_jwt", "the request with an unsigned alg:none JWT", "Bearer " + algNoneJWT(e.p.bearerJWT())},
	}
	o := map[string]any{}
	obs["auth_required"] = o
	var problems []string
	wwwAuth := true
	for _, a := range attempts {
		req, err := e.p.request(ctx)
		if err != nil {
			return problems, err
		}
		stripCredentials(req)
		if a.authorization != "" {
			req.Header.Set("Authorization", a.authorization)
		}
		resp, err := e.do(e.noFollow, req)
		if err != nil {
			return problems, err
		}
		refused := resp.Status == http.StatusUnauthorized || resp.Status == http.StatusForbidden
		challenge := resp.Header.Get("WWW-Authenticate")
		o[a.name] = map[string]any{"status": resp.Status, "refused": refused, "www_authenticate": nilIfEmpty(challenge)}
		if resp.Status == http.StatusUnauthorized && challenge == "" {
			wwwAuth = false
		}
		if !refused {
			msg := fmt.Sprintf("%s was not refused: status %d (want 401 or 403)", a.what, resp.Status)
			if loc := resp.Header.Get("Location"); loc != "" && resp.Status >= 300 && resp.Status < 400 {
				msg = fmt.Sprintf("%s was not refused: status %d redirecting to %q (want 401 or 403)", a.what, resp.Status, loc)
			}
			problems = append(problems, msg)
		}
	}
	o["www_authenticate"] = wwwAuth
	o["ok"] = len(problems) == 0
	return problems, nil
}

// bearerJWT returns the configured bearer token when it is a JWT, so the
// alg:none forgery carries the very claims the service accepts.
func (p *Probe) bearerJWT() string {
	tok := p.BearerToken
	if tok == "" {
		for k, v := range p.Headers {
			if strings.EqualFold(k, "authorization") && len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
				tok = strings.TrimSpace(v[7:])
			}
		}
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return ""
	}
	var header struct {
		Alg string `json:"alg"`
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || json.Unmarshal(raw, &header) != nil || header.Alg == "" {
		return ""
	}
	return tok
}

// algNoneJWT forges an unsigned token: the claims of jwt when given (its
// signature dropped), else a neutral subject valid for five minutes.
func algNoneJWT(jwt string) string {
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	payload := ""
	if jwt != "" {
		payload = strings.Split(jwt, ".")[1]
	} else {
		now := time.Now().Unix()
		payload = enc.EncodeToString([]byte(fmt.Sprintf(`{"sub":"readyctl-probe","iat":%d,"exp":%d}`, now, now+300)))
	}
	return header + "." + payload + "."
}
