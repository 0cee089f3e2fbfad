package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/readyctl/readyctl/internal/probetest"
)

// serveProc is a real `readyctl serve` process.
type serveProc struct {
	cmd    *exec.Cmd
	base   string
	mu     sync.Mutex
	stderr strings.Builder
	exited chan error
}

var servingAt = regexp.MustCompile(`msg=serving address=(\S+)`)

func startServeProc(t *testing.T, args ...string) *serveProc {
	t.Helper()
	p := &serveProc{exited: make(chan error, 1)}
	p.cmd = exec.Command(readyctlBinary(t), append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)...)
	p.cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+t.TempDir())
	errPipe, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(errPipe)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.stderr.WriteString(line + "\n")
			p.mu.Unlock()
			if m := servingAt.FindStringSubmatch(line); m != nil {
				addr <- m[1]
			}
		}
		p.exited <- p.cmd.Wait()
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
	})
	select {
	case a := <-addr:
		p.base = "http://" + a
	case <-time.After(10 * time.Second):
		t.Fatalf("serve did not start:\n%s", p.log())
	}
	return p
}

func (p *serveProc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

func (p *serveProc) get(t *testing.T, path string) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(p.base + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (p *serveProc) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s; stderr:\n%s", what, p.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends sig and requires exit 0 within bound.
func (p *serveProc) stop(t *testing.T, sig os.Signal, bound time.Duration) {
	t.Helper()
	t0 := time.Now()
	p.cmd.Process.Signal(sig)
	select {
	case err := <-p.exited:
		var ee *exec.ExitError
		if errors.As(err, &ee) || err != nil {
			t.Errorf("serve exited with %v after %s, want 0; stderr:\n%s", err, sig, p.log())
		}
		if d := time.Since(t0); d > bound {
			t.Errorf("serve took %s to exit after %s", d, sig)
		}
	case <-time.After(bound + 5*time.Second):
		t.Fatalf("serve still running %s after %s", bound+5*time.Second, sig)
	}
}

// TestServeSIGHUPBrokenFile: a real process keeps its checklist when
// SIGHUP finds the file broken (logged with FILE:LINE:COL, metric 0),
// takes a fixed file on the next SIGHUP, and exits 0 on SIGTERM.
func TestServeSIGHUPBrokenFile(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	dir := t.TempDir()
	cl := filepath.Join(dir, "c.yaml")
	good := "version: 1\nname: hup\nsections:\n  - id: s\n    items:\n      - id: up\n        tcp: {address: \"" + ln.Addr().String() + "\"}\n"
	os.WriteFile(cl, []byte(good), 0o644)
	p := startServeProc(t, "-f", cl, "--interval", "200ms")
	p.waitFor(t, "/ready 200", func() bool { c, _ := p.get(t, "/ready"); return c == http.StatusOK })

	os.WriteFile(cl, []byte(good+"      - id: BAD\n        tcp: {address: x}\n"), 0o644)
	p.cmd.Process.Signal(syscall.SIGHUP)
	p.waitFor(t, "the refused reload logged", func() bool { return strings.Contains(p.log(), "checklist reload refused") })
	if !regexp.MustCompile(regexp.QuoteMeta(cl) + `:8:\d+: `).MatchString(p.log()) {
		t.Errorf("the refused reload does not say FILE:LINE:COL:\n%s", p.log())
	}
	_, metrics := p.get(t, "/metrics")
	if !strings.Contains(metrics, "\nreadyctl_checklist_reload_success 0\n") {
		t.Errorf("reload_success is not 0 after a broken reload")
	}
	time.Sleep(500 * time.Millisecond) // rounds go on with the old checklist
	if c, body := p.get(t, "/ready"); c != http.StatusOK {
		t.Errorf("/ready after a broken reload: %d %s", c, body)
	}

	os.WriteFile(cl, []byte(good+"      - id: down\n        tcp: {address: \"127.0.0.1:1\"}\n"), 0o644)
	p.cmd.Process.Signal(syscall.SIGHUP)
	p.waitFor(t, "the new checklist's verdict", func() bool {
		c, body := p.get(t, "/ready")
		return c == http.StatusServiceUnavailable && strings.Contains(body, `"item":"down"`)
	})
	p.stop(t, syscall.SIGTERM, 5*time.Second)
}

// TestServeSIGTERMDuringRound: SIGTERM while a round waits on a target
// that never answers (item timeout 1m) exits 0 promptly.
func TestServeSIGTERMDuringRound(t *testing.T) {
	addr := probetest.SilentServer(t)
	cl := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cl, []byte("version: 1\nname: term\nsections:\n  - id: s\n    items:\n      - id: stuck\n        timeout: 1m\n        http: {url: \"http://"+addr+"/\"}\n"), 0o644)
	p := startServeProc(t, "-f", cl, "--interval", "1h")
	time.Sleep(500 * time.Millisecond)
	if c, _ := p.get(t, "/ready"); c != http.StatusServiceUnavailable {
		t.Errorf("/ready during the first round: %d", c)
	}
	p.stop(t, syscall.SIGTERM, 3*time.Second)
}
