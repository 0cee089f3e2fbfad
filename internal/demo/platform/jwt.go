package platform

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// A minimal HS256 JWT, enough for the stand-in auth service to issue
// tokens and for the core service to refuse what it must refuse: no
// token, a malformed one, a bad signature, alg:none, an expired one.

var b64 = base64.RawURLEncoding

func signJWT(secret []byte, sub string, ttl time.Duration, now time.Time) string {
	h := b64.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	claims, _ := json.Marshal(map[string]any{"sub": sub, "iat": now.Unix(), "exp": now.Add(ttl).Unix()})
	p := b64.EncodeToString(claims)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(h + "." + p))
	return h + "." + p + "." + b64.EncodeToString(mac.Sum(nil))
}

func verifyJWT(secret []byte, token string, now time.Time) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", errors.New("malformed token")
	}
	hb, err := b64.DecodeString(parts[0])
	if err != nil {
		return "", errors.New("malformed header")
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(hb, &hdr) != nil || hdr.Alg != "HS256" {
		return "", errors.New("unsupported alg")
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	sig, err := b64.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, mac.Sum(nil)) {
		return "", errors.New("bad signature")
	}
	pb, err := b64.DecodeString(parts[1])
	if err != nil {
		return "", errors.New("malformed claims")
	}
	var c struct {
		Sub string `json:"sub"`
		Exp int64  `json:"exp"`
	}
	if json.Unmarshal(pb, &c) != nil || c.Sub == "" {
		return "", errors.New("malformed claims")
	}
	if now.Unix() >= c.Exp {
		return "", errors.New("expired")
	}
	return c.Sub, nil
}
