package redischeck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/readyctl/readyctl/checks"
)

// secret is the password of the test servers; no message or observation
// may contain it.
const secret = "R3dis-s3cret-pw"

// decode builds a probe the way the loader does: defaults, strict decode,
// Validate.
func decode(t *testing.T, url, opts string) *Probe {
	t.Helper()
	p := New()
	if strings.TrimSpace(opts) != "" {
		dec := yaml.NewDecoder(strings.NewReader(opts))
		dec.KnownFields(true)
		if err := dec.Decode(p); err != nil {
			t.Fatalf("decode %q: %v", opts, err)
		}
	}
	p.URL = url
	if err := p.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	return p
}

type result struct {
	obs     checks.Observations
	err     error
	elapsed time.Duration
}

func run(t *testing.T, p *Probe, timeout time.Duration) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	obs, err := p.Run(ctx)
	r := result{obs: obs, err: err, elapsed: time.Since(start)}
	noSecret(t, r)
	return r
}

func noSecret(t *testing.T, r result) {
	t.Helper()
	b, jerr := json.Marshal(r.obs)
	if jerr != nil {
		t.Errorf("observations do not marshal to JSON: %v", jerr)
	}
	if strings.Contains(string(b), secret) || strings.Contains(fmt.Sprint(r.obs), secret) {
		t.Errorf("password in observations: %s", b)
	}
	if r.err != nil && strings.Contains(r.err.Error(), secret) {
		t.Errorf("password in error: %v", r.err)
	}
}

func (r result) status() string {
	var f *checks.Failure
	switch {
	case r.err == nil:
		return "pass"
	case errors.As(r.err, &f):
		return "fail"
	}
	return "error"
}

func (r result) reason() string { return checks.Classify(r.err) }

func (r result) want(t *testing.T, status string, fragments ...string) {
	t.Helper()
	t.Logf("%s/%s: %v", r.status(), r.reason(), r.err)
	if got := r.status(); got != status {
		t.Fatalf("status %s (reason %q, err %v), want %s; observations %v", got, r.reason(), r.err, status, r.obs)
	}
	msg := ""
	if r.err != nil {
		msg = r.err.Error()
	}
	for _, f := range fragments {
		if !strings.Contains(msg, f) {
			t.Errorf("message %q does not contain %q", msg, f)
		}
	}
}

// relay is a transparent TCP relay in front of a server. It tells when a
// client has sent its first bytes, so a test can act while that client
// waits for an answer.
type relay struct {
	addr string
	sent chan struct{}
	once sync.Once
}

func startRelay(t *testing.T, upstream string) *relay {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	r := &relay{addr: l.Addr().String(), sent: make(chan struct{})}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", upstream)
			if err != nil {
				c.Close()
				continue
			}
			go func() {
				buf := make([]byte, 32<<10)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						if _, werr := up.Write(buf[:n]); werr != nil {
							break
						}
						r.once.Do(func() { close(r.sent) })
					}
					if err != nil {
						break
					}
				}
				up.Close()
			}()
			go func() {
				_, _ = io.Copy(c, up)
				c.Close()
			}()
		}
	}()
	return r
}
