//go:build unix

package loadcheck

import (
	"crypto/tls"
	"net"
	"syscall"
)

// stillOpen reports whether an idle connection can take another request:
// nothing to read (not even an EOF or a TLS alert) without blocking. It
// peeks at the socket, so it costs one system call and consumes nothing.
func stillOpen(nc net.Conn) bool {
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	open := true
	var buf [1]byte
	err = rc.Read(func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		// EAGAIN: idle and open. 0 bytes: the peer closed. Data or any
		// other error: not a clean idle connection either.
		open = n < 0 && (err == syscall.EAGAIN || err == syscall.EWOULDBLOCK)
		return true // never wait for readiness
	})
	return err == nil && open
}
