package checks

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
)

// Failure means the target answered, but wrongly: the item's status is
// "fail". Reason defaults to "assertion".
type Failure struct {
	Reason  string
	Message string
}

func (f *Failure) Error() string { return f.Message }

// Fail returns a *Failure with a formatted message. reason may be "" for
// the default "assertion".
func Fail(reason, format string, a ...any) error {
	if reason == "" {
		reason = ReasonAssertion
	}
	return &Failure{Reason: reason, Message: fmt.Sprintf(format, a...)}
}

// ReasonError attaches an explicit reason code to an error that means
// "could not check" (status "error"), for cases Classify cannot know, such
// as a database that answers "password authentication failed".
type ReasonError struct {
	Reason string
	Err    error
}

func (e *ReasonError) Error() string { return e.Err.Error() }
func (e *ReasonError) Unwrap() error { return e.Err }

// WithReason wraps err with an explicit reason code.
func WithReason(reason string, err error) error {
	if err == nil {
		return nil
	}
	return &ReasonError{Reason: reason, Err: err}
}

// FieldError is a configuration error about one field of a probe block;
// the loader turns Field (a dotted YAML path such as "query.sql") into a
// FILE:LINE:COL position.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

// FieldErrorf returns a *FieldError for field with a formatted message.
func FieldErrorf(field, format string, a ...any) error {
	return &FieldError{Field: field, Err: fmt.Errorf(format, a...)}
}

// Classify maps an error from a probe to a reason code. Explicit reasons
// (Failure, ReasonError) win; otherwise the error chain is inspected for
// well-known network conditions.
func Classify(err error) string {
	if err == nil {
		return ""
	}
	var f *Failure
	if errors.As(err, &f) {
		return f.Reason
	}
	var re *ReasonError
	if errors.As(err, &re) {
		return re.Reason
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return ReasonTimeout
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return ReasonTimeout
	}
	if errors.Is(err, context.Canceled) {
		return ReasonCanceled
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		if dnsErr.IsTimeout {
			return ReasonTimeout
		}
		return ReasonDNS
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return ReasonConnectionRefused
	}
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrUnexpectedEOF) {
		return ReasonConnectionReset
	}
	if isTLS(err) {
		return ReasonTLS
	}
	if errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH) {
		return "unreachable"
	}
	if errors.Is(err, io.EOF) {
		return ReasonConnectionReset
	}
	return ReasonUnknown
}

func isTLS(err error) bool {
	var (
		unknownAuthority x509.UnknownAuthorityError
		hostname         x509.HostnameError
		invalid          x509.CertificateInvalidError
		recordHeader     tls.RecordHeaderError
		alert            tls.AlertError
		verify           *tls.CertificateVerificationError
	)
	switch {
	case errors.As(err, &unknownAuthority), errors.As(err, &hostname),
		errors.As(err, &invalid), errors.As(err, &recordHeader),
		errors.As(err, &alert), errors.As(err, &verify):
		return true
	}
	// crypto/tls reports many handshake problems as plain strings.
	return strings.Contains(err.Error(), "tls: ")
}
