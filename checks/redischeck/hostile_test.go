package redischeck

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/readyctl/readyctl/checks"
	"github.com/readyctl/readyctl/internal/testsvc"
)

const infoBody = "# Server\r\nredis_version:7.2.0\r\nrole:master\r\n"

// fakeRedis is a RESP server on loopback: answer writes the reply to one
// command (upper-cased name) and may block or stream. It returns the
// address and a channel that receives each command name as it arrives.
func fakeRedis(t *testing.T, answer func(w io.Writer, cmd string)) (string, <-chan string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	seen := make(chan string, 100)
	done := make(chan struct{})
	t.Cleanup(func() { close(done); l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				go func() { <-done; c.Close() }()
				rd := bufio.NewReader(c)
				for {
					cmd, err := readCommand(rd)
					if err != nil {
						return
					}
					select {
					case seen <- cmd:
					default:
					}
					answer(c, cmd)
				}
			}()
		}
	}()
	return l.Addr().String(), seen
}

func readCommand(rd *bufio.Reader) (string, error) {
	line, err := rd.ReadString('\n')
	if err != nil {
		return "", err
	}
	n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
	var args []string
	for range n {
		hdr, err := rd.ReadString('\n')
		if err != nil {
			return "", err
		}
		l, _ := strconv.Atoi(strings.TrimSpace(hdr[1:]))
		b := make([]byte, l+2)
		if _, err := io.ReadFull(rd, b); err != nil {
			return "", err
		}
		args = append(args, string(b[:l]))
	}
	if len(args) == 0 {
		return "", nil
	}
	return strings.ToUpper(args[0]), nil
}

// normal answers PING and INFO like a healthy server.
func normal(w io.Writer, cmd string) {
	switch cmd {
	case "PING":
		io.WriteString(w, "+PONG\r\n")
	case "INFO":
		fmt.Fprintf(w, "$%d\r\n%s\r\n", len(infoBody), infoBody)
	default:
		io.WriteString(w, "-ERR unknown command\r\n")
	}
}

// stream writes b until the connection is closed.
func stream(w io.Writer, b []byte) {
	for {
		if _, err := w.Write(b); err != nil {
			return
		}
	}
}

// TestHostileReplies: replies announcing or sending more than max_bytes
// are errors with reason too_large, never a panic or gigabytes read.
func TestHostileReplies(t *testing.T) {
	chunk := []byte(strings.Repeat("x", 64<<10))
	for _, c := range []struct {
		name  string
		reply func(w io.Writer, cmd string)
	}{
		{"PING bulk of 9e18 bytes", func(w io.Writer, cmd string) { io.WriteString(w, "$9000000000000000000\r\n") }},
		{"INFO bulk of 9e18 bytes", func(w io.Writer, cmd string) {
			if cmd == "INFO" {
				io.WriteString(w, "$9000000000000000000\r\n")
				return
			}
			normal(w, cmd)
		}},
		{"INFO of 1 GiB", func(w io.Writer, cmd string) {
			if cmd == "INFO" {
				io.WriteString(w, "$1073741824\r\n")
				stream(w, chunk)
				return
			}
			normal(w, cmd)
		}},
		{"endless status line", func(w io.Writer, cmd string) {
			if cmd == "INFO" {
				io.WriteString(w, "+")
				stream(w, chunk)
				return
			}
			normal(w, cmd)
		}},
		{"array of 9e18 elements", func(w io.Writer, cmd string) {
			if cmd == "INFO" {
				io.WriteString(w, "*9000000000000000000\r\n")
				return
			}
			normal(w, cmd)
		}},
		{"length past int64", func(w io.Writer, cmd string) {
			if cmd == "INFO" {
				io.WriteString(w, "$99999999999999999999999\r\n")
				return
			}
			normal(w, cmd)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			addr, _ := fakeRedis(t, c.reply)
			r := run(t, decode(t, "redis://"+addr+"/0", ""), 20*time.Second)
			r.Want(t, "error", "larger than max_bytes 1048576")
			if r.Reason() != checks.ReasonTooLarge {
				t.Errorf("reason %q, want too_large", r.Reason())
			}
		})
	}
	addr, _ := fakeRedis(t, normal)
	run(t, decode(t, "redis://"+addr+"/0", ""), 5*time.Second).Want(t, "pass")
}

// TestKeyTooLarge: a real server's large value is read only up to
// max_bytes.
func TestKeyTooLarge(t *testing.T) {
	srv := testsvc.StartRedis(t, testsvc.RedisOptions{Password: secret})
	cl := srv.Client(t)
	if err := cl.Set(context.Background(), "big", strings.Repeat("v", 3<<20), 0).Err(); err != nil {
		t.Fatal(err)
	}
	key := "key: {name: big, matches: '^v+$'}"
	r := run(t, decode(t, srv.URL(), "password: "+secret+"\n"+key), 10*time.Second)
	r.Want(t, "error", "larger than max_bytes 1048576")
	if r.Reason() != checks.ReasonTooLarge {
		t.Errorf("reason %q, want too_large", r.Reason())
	}
	run(t, decode(t, srv.URL(), "password: "+secret+"\nmax_bytes: 4000000\n"+key), 10*time.Second).Want(t, "pass")
}

// TestDeadline: the item's deadline, not go-redis's 5 s default read
// timeout, limits a slow reply; and cancelling the run ends a read at once.
func TestDeadline(t *testing.T) {
	slow := 5500 * time.Millisecond
	addr, _ := fakeRedis(t, func(w io.Writer, cmd string) {
		if cmd == "INFO" {
			time.Sleep(slow)
		}
		normal(w, cmd)
	})
	r := run(t, decode(t, "redis://"+addr+"/0", ""), 9*time.Second)
	r.Want(t, "pass")

	hang := make(chan struct{})
	defer close(hang)
	addr, seen := fakeRedis(t, func(w io.Writer, cmd string) {
		if cmd == "INFO" {
			<-hang
		}
		normal(w, cmd)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := decode(t, "redis://"+addr+"/0", "").Run(ctx)
		done <- err
	}()
	for cmd := range seen {
		if cmd == "INFO" {
			break
		}
	}
	cancel()
	select {
	case err := <-done:
		if checks.Classify(err) != checks.ReasonCanceled {
			t.Errorf("after cancel: reason %q (%v), want canceled", checks.Classify(err), err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the probe still reads 2s after its context was cancelled")
	}
}
