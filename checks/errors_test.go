package checks

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
)

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{Fail("", "x"), "assertion"},
		{Fail("no_data", "x"), "no_data"},
		{fmt.Errorf("wrapped: %w", WithReason("auth", errors.New("password authentication failed"))), "auth"},
		{fmt.Errorf("op: %w", context.DeadlineExceeded), "timeout"},
		{&net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}, "timeout"},
		{&net.OpError{Op: "dial", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}}, "connection_refused"},
		{&net.OpError{Op: "read", Err: &os.SyscallError{Syscall: "read", Err: syscall.ECONNRESET}}, "connection_reset"},
		{&net.DNSError{Err: "no such host", Name: "x.invalid", IsNotFound: true}, "dns"},
		{fmt.Errorf("get: %w", x509.UnknownAuthorityError{}), "tls"},
		{errors.New("tls: handshake failure"), "tls"},
		{errors.New("something odd"), "error"},
		{context.Canceled, "canceled"},
	} {
		if got := Classify(c.err); got != c.want {
			t.Errorf("Classify(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

func TestRegisterPanicsOnDuplicate(t *testing.T) {
	Register(Kind{Name: "dup-test", New: func() Probe { return nil }})
	// The registry is global: leave it as found, so -count=N passes.
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		delete(kinds, "dup-test")
	})
	defer func() {
		if recover() == nil {
			t.Error("duplicate registration did not panic")
		}
	}()
	Register(Kind{Name: "dup-test", New: func() Probe { return nil }})
}
