package loadcheck

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"
)

// The probe speaks HTTP/1.1 over one keep-alive connection per worker,
// the way wrk does, instead of going through http.Transport: the request
// is serialized once by net/http (Request.Write) and each response is
// parsed by net/http (ReadResponse), but there is no connection pool and
// no per-request goroutine hand-off, which costs the Transport about half
// its throughput on a small machine (see scripts/bench-load.sh). It also
// makes `connections` exact: N workers hold N connections.

// httpConn is a worker's connection to the target.
type httpConn struct {
	nc     net.Conn
	cr     countingReader
	br     *bufio.Reader
	stop   func() bool // unregisters the cancel hook
	reused bool        // a response was read on it already
	idle   time.Time   // when its last exchange ended
}

// idleCheck is how long a connection must have been idle before it is
// checked for a close by the server before use: servers drop idle
// keep-alive connections (Node.js after 5s, many proxies after 60s), and
// sending a request that is not safe to retry into one would be a false
// error.
const idleCheck = 50 * time.Millisecond

// countingReader counts bytes received, to tell "the server closed an idle
// connection before answering" (retry) from a failure mid-response.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

var aLongTimeAgo = time.Unix(1, 0)

// dial connects (and handshakes TLS) within deadline. Cancelling ctx
// later aborts any read or write on the connection at once.
func (r *run) dial(ctx context.Context, deadline time.Time) (*httpConn, error) {
	d := net.Dialer{Deadline: deadline, KeepAlive: 30 * time.Second}
	nc, err := d.DialContext(ctx, "tcp", r.addr)
	if err != nil {
		return nil, err
	}
	if r.tlsConfig != nil {
		tc := tls.Client(nc, r.tlsConfig)
		nc.SetDeadline(deadline)
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, err
		}
		nc = tc
	}
	c := &httpConn{nc: nc}
	c.cr.r = nc
	c.br = bufio.NewReaderSize(&c.cr, 4<<10)
	c.stop = context.AfterFunc(ctx, func() { nc.SetDeadline(aLongTimeAgo) })
	return c, nil
}

func (c *httpConn) close() {
	c.stop()
	c.nc.Close()
}

// roundTrip sends the run's request on the worker's connection, dialling
// one if needed, reads the response and discards its body. Like
// http.Transport it retries an idempotent request once on a new
// connection when a reused one turns out to have been closed by the
// server before any byte of the answer.
func (w *worker) roundTrip(ctx context.Context, deadline time.Time) (status int, err error) {
	for attempt := 0; ; attempt++ {
		c := w.conn
		if c != nil && time.Since(c.idle) > idleCheck && !stillOpen(c.nc) {
			c.close()
			c, w.conn = nil, nil
		}
		if c == nil {
			if c, err = w.r.dial(ctx, deadline); err != nil {
				return 0, err
			}
			w.conn = c
		}
		received := c.cr.n
		var keep bool
		status, keep, err = w.exchange(ctx, c, deadline)
		if err == nil && keep {
			c.reused = true
			c.idle = time.Now()
			return status, nil
		}
		w.conn = nil
		c.close()
		if err == nil {
			return status, nil
		}
		if attempt == 0 && c.reused && c.cr.n == received && w.r.idempotent && ctx.Err() == nil && closedByPeer(err) {
			continue
		}
		return 0, err
	}
}

// exchange writes the request and reads one final response on c.
func (w *worker) exchange(ctx context.Context, c *httpConn, deadline time.Time) (status int, keep bool, err error) {
	c.nc.SetDeadline(deadline)
	if err := ctx.Err(); err != nil { // the cancel hook may have run before SetDeadline
		return 0, false, err
	}
	if _, err := c.nc.Write(w.r.wire); err != nil {
		return 0, false, err
	}
	for {
		resp, err := http.ReadResponse(c.br, w.r.template)
		if err != nil {
			return 0, false, err
		}
		if resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != http.StatusSwitchingProtocols {
			continue // interim response (103 Early Hints...); the final one follows
		}
		if err := w.drain(resp.Body); err != nil {
			return resp.StatusCode, false, err
		}
		return resp.StatusCode, !resp.Close && resp.StatusCode != http.StatusSwitchingProtocols, nil
	}
}

// drain reads and discards the body into the worker's buffer so the
// connection can be reused.
func (w *worker) drain(body io.ReadCloser) error {
	var err error
	for err == nil {
		_, err = body.Read(w.buf)
	}
	body.Close()
	if err == io.EOF {
		return nil
	}
	return err
}

func closedByPeer(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
