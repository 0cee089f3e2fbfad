package loadcheck

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/testsvc"
)

// A target that refuses every connection stops the run within about a
// second, with error and that reason, instead of its whole duration.
func TestRefusingTargetStopsEarly(t *testing.T) {
	port := testsvc.FreePort(t)
	p := mustProbe(t, fmt.Sprintf("url: http://127.0.0.1:%d/\nconnections: 20\nduration: 30s", port))
	start := time.Now()
	_, err := runProbe(t, p, time.Minute)
	took := time.Since(start)
	if checks.Classify(err) != checks.ReasonConnectionRefused {
		t.Fatalf("err = %v (%s), want reason connection_refused", err, checks.Classify(err))
	}
	if !strings.Contains(err.Error(), "refused every connection") {
		t.Errorf("message = %q", err)
	}
	if took > 3*time.Second {
		t.Fatalf("took %s, want about a second", took)
	}
}

// The same for a target that accepts and resets at once.
func TestResettingTargetStopsEarly(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_ = c.(*net.TCPConn).SetLinger(0) // close sends RST
			c.Close()
		}
	}()
	p := mustProbe(t, fmt.Sprintf("url: http://%s/\nconnections: 4\nduration: 30s", l.Addr()))
	start := time.Now()
	_, err = runProbe(t, p, time.Minute)
	if r := checks.Classify(err); r != checks.ReasonConnectionReset && r != checks.ReasonConnectionRefused {
		t.Fatalf("err = %v (%s), want reason connection_reset", err, r)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("took %s, want about a second", took)
	}
}
