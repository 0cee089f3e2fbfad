package redischeck

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
)

// go-redis allocates whatever length a reply announces before reading it
// ($9000000000000000000 panics in makeslice, $1073741824 takes a GiB) and
// has no reply size limit. So every connection of the probe reads through
// guardConn, which follows the RESP framing and refuses, before go-redis
// sees the header line complete, any bulk or aggregate that cannot fit in
// what is left of max_bytes; every byte read counts against it. It also
// closes the connection when the run's context ends, so Ctrl-C does not
// wait for a read deadline.

// tooLargeError is returned by a guarded read once the cap is hit.
type tooLargeError struct{ limit int64 }

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("the server's reply is larger than max_bytes %d", e.limit)
}

// guard is the read budget and state shared by a run's connections.
type guard struct {
	limit   int64
	read    atomic.Int64
	tripped atomic.Bool
}

// dialer wraps a go-redis dialer so that its connections are guarded and
// closed when ctx ends.
func (g *guard) dialer(ctx context.Context, dial func(context.Context, string, string) (net.Conn, error)) func(context.Context, string, string) (net.Conn, error) {
	return func(dctx context.Context, network, addr string) (net.Conn, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c, err := dial(dctx, network, addr)
		if err != nil {
			return nil, err
		}
		gc := &guardConn{Conn: c, g: g}
		gc.stop = context.AfterFunc(ctx, func() { _ = c.Close() })
		return gc, nil
	}
}

type guardConn struct {
	net.Conn
	g    *guard
	stop func() bool
	mu   sync.Mutex
	resp respScanner
}

func (c *guardConn) Read(p []byte) (int, error) {
	if c.g.tripped.Load() {
		return 0, &tooLargeError{c.g.limit}
	}
	n, err := c.Conn.Read(p)
	if n > 0 {
		total := c.g.read.Add(int64(n))
		c.mu.Lock()
		ok := c.resp.feed(p[:n], c.g.limit-total+int64(n))
		c.mu.Unlock()
		if total > c.g.limit || !ok {
			c.g.tripped.Store(true)
			return 0, &tooLargeError{c.g.limit}
		}
	}
	return n, err
}

func (c *guardConn) Close() error {
	c.stop()
	return c.Conn.Close()
}

// respScanner follows RESP2/RESP3 framing across reads: header lines are
// parsed, bulk payloads skipped. Nesting needs no stack: each element of an
// aggregate is itself a reply in the stream.
type respScanner struct {
	skip int64  // payload bytes (with CRLF) still to pass
	line []byte // start of the header line being read (first 24 bytes)
}

// feed scans b; left is the budget before b. It reports false when an
// announced length cannot fit in what remains.
func (s *respScanner) feed(b []byte, left int64) bool {
	for len(b) > 0 {
		if s.skip > 0 {
			n := min(s.skip, int64(len(b)))
			s.skip -= n
			left -= n
			b = b[n:]
			continue
		}
		c := b[0]
		b = b[1:]
		left--
		if c != '\n' {
			if len(s.line) < 24 {
				s.line = append(s.line, c)
			}
			continue
		}
		line := s.line
		s.line = s.line[:0]
		if len(line) < 2 {
			continue
		}
		n, ok := parseLen(line[1 : len(line)-1])
		switch line[0] {
		case '$', '!', '=': // bulk string, bulk error, verbatim string
			if !ok || n >= 0 && n+2 > left {
				return false
			}
			if n >= 0 {
				s.skip = n + 2
			}
		case '*', '~', '>': // array, set, push: at least 3 bytes per element
			if !ok || n > left/3 {
				return false
			}
		case '%', '|': // map, attribute: two elements per entry
			if !ok || n > left/6 {
				return false
			}
		}
	}
	return true
}

// parseLen reads a RESP length; lengths too long to be real are not ok.
func parseLen(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		return -n, true
	}
	return n, true
}

// tooLarge reports whether err, or the run, hit the read cap.
func (g *guard) tooLarge(err error) bool {
	var tl *tooLargeError
	return g.tripped.Load() || errors.As(err, &tl)
}
