package cli

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A --wait round line clears the live line before it is printed (no log
// line written over the spinner) and escapes what came from a target.
func TestProgressRoundLineDoesNotCollide(t *testing.T) {
	var buf lockedBuffer
	p := newProgress(&buf, 80)
	defer p.Stop()
	p.Started(1)
	p.draw("⠋")
	p.Waiting(1, []string{"auth-service: status was 503", "api: \x1b]0;pwned\x07", "qa-lead approval missing"}, 2*time.Second)
	out := buf.String()
	want := "\r\x1b[2Kround 1: not ready: auth-service: status was 503; api: \\x1b]0;pwned\\x07; qa-lead approval missing\n"
	if !strings.HasSuffix(out, want) {
		t.Errorf("output %q, want it to end with %q", out, want)
	}
}
