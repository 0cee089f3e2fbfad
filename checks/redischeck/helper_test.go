package redischeck

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/readyctl/readyctl/internal/probetest"
)

// secret is the password of the test servers; no message or observation
// may contain it.
const secret = "R3dis-s3cret-pw"

// decode builds a probe the way the loader does: defaults, strict decode,
// Validate.
func decode(t *testing.T, url, opts string) *Probe {
	t.Helper()
	p := New()
	probetest.Decode(t, p, opts)
	p.URL = url
	if err := p.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	return p
}

// result is one run of a probe (see internal/probetest).
type result = probetest.Result

// run runs a probe under a deadline and checks that the password leaked
// nowhere.
func run(t *testing.T, p *Probe, timeout time.Duration) result {
	t.Helper()
	return probetest.Run(t, p, timeout, secret)
}

// noSecret checks a result obtained without run.
func noSecret(t *testing.T, r result) {
	t.Helper()
	r.NoSecret(t, secret)
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
