package tlscheck

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"os"
	"strings"
	"time"

	"github.com/readyctl/readyctl/checks"
)

// attempt is the outcome of one handshake that reached the TLS layer.
type attempt struct {
	state *tls.ConnectionState // nil when the handshake failed
	certs []*x509.Certificate  // what the server sent, even if the handshake failed later
	err   error                // why the handshake failed; nil on success
	// tls is set once the ClientHello is about to go out: a timeout after
	// it means the server is silent in TLS, not unreachable.
	tls bool
}

// handshake connects, runs the STARTTLS preamble when configured, and
// performs one TLS handshake with cfg. The returned error means the server
// could not be reached or did not let us start TLS (nothing to judge about
// its TLS yet); a handshake the server refused is reported in attempt.err.
//
// Verification is never left to crypto/tls: cfg skips it so that an
// expired, self-signed or SHA-1 certificate still completes the handshake
// and can be inspected and reported; inspect verifies it with x509.
func (p *Probe) handshake(ctx context.Context, cfg *tls.Config) (attempt, error) {
	var a attempt
	cfg = cfg.Clone()
	cfg.InsecureSkipVerify = true //nolint:gosec // verified by inspect with x509.Verify
	cfg.ServerName = p.sni()
	cfg.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
		for _, der := range raw {
			c, err := x509.ParseCertificate(der)
			if err != nil {
				return fmt.Errorf("server sent a certificate that does not parse: %w", err)
			}
			a.certs = append(a.certs, c)
		}
		return nil
	}

	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", p.Address)
	if err != nil {
		return a, err
	}
	defer conn.Close()
	// A deadline on the socket bounds the plain-text preamble; AfterFunc
	// also unblocks it on cancellation.
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	switch p.StartTLS {
	case "postgres":
		err = startPostgres(conn, p.Address)
	case "smtp":
		err = startSMTP(conn, p.Address)
	}
	if err != nil {
		return a, err
	}

	a.tls = true
	tc := tls.Client(conn, cfg)
	defer tc.Close() // sends close_notify after a completed handshake
	if err := tc.HandshakeContext(ctx); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return a, fmt.Errorf("TLS handshake with %s: %w", p.Address, ctxErr)
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return a, fmt.Errorf("TLS handshake with %s: %w", p.Address, err)
		}
		a.err = err
		return a, nil
	}
	st := tc.ConnectionState()
	a.state = &st
	return a, nil
}

// sslRequest is PostgreSQL's SSLRequest message: length 8, code 80877103.
var sslRequest = []byte{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}

// startPostgres asks a PostgreSQL server to switch to TLS. It sends no
// startup message, so no session is opened and nothing is logged in.
func startPostgres(conn net.Conn, addr string) error {
	if _, err := conn.Write(sslRequest); err != nil {
		return fmt.Errorf("postgres SSLRequest to %s: %w", addr, err)
	}
	var b [1]byte
	if _, err := io.ReadFull(conn, b[:]); err != nil {
		return fmt.Errorf("postgres SSLRequest to %s: %w", addr, err)
	}
	switch b[0] {
	case 'S':
		return nil
	case 'N':
		return checks.Fail("tls_unavailable", "PostgreSQL at %s does not offer TLS: it answered N to SSLRequest (ssl is off in postgresql.conf)", addr)
	case 'E':
		return checks.WithReason("protocol", fmt.Errorf("PostgreSQL at %s answered SSLRequest with an error message", addr))
	}
	return checks.WithReason("protocol", fmt.Errorf("%s does not speak the PostgreSQL protocol: it answered SSLRequest with byte 0x%02x", addr, b[0]))
}

// startSMTP runs EHLO and STARTTLS (RFC 3207) and leaves the connection
// ready for the TLS ClientHello. No mail transaction is started.
func startSMTP(conn net.Conn, addr string) error {
	tp := textproto.NewConn(conn)
	smtpErr := func(step string, err error) error {
		var te *textproto.Error
		if errors.As(err, &te) {
			return checks.WithReason("protocol", fmt.Errorf("SMTP server at %s answered %s with %d %s", addr, step, te.Code, te.Msg))
		}
		return fmt.Errorf("SMTP server at %s, %s: %w", addr, step, err)
	}
	if _, _, err := tp.ReadResponse(220); err != nil {
		var te *textproto.Error
		if errors.As(err, &te) {
			return checks.WithReason("protocol", fmt.Errorf("SMTP server at %s greeted with %d %s", addr, te.Code, te.Msg))
		}
		return smtpErr("waiting for its greeting", err)
	}
	if err := tp.PrintfLine("EHLO %s", ehloName(conn)); err != nil {
		return smtpErr("EHLO", err)
	}
	_, msg, err := tp.ReadResponse(250)
	if err != nil {
		return smtpErr("EHLO", err)
	}
	offered := false
	for _, line := range strings.Split(msg, "\n")[1:] { // the first line is the greeting
		if f := strings.Fields(line); len(f) > 0 && strings.EqualFold(f[0], "STARTTLS") {
			offered = true
		}
	}
	if !offered {
		return checks.Fail("tls_unavailable", "SMTP server at %s does not offer STARTTLS in its EHLO reply", addr)
	}
	if err := tp.PrintfLine("STARTTLS"); err != nil {
		return smtpErr("STARTTLS", err)
	}
	if code, msg, err := tp.ReadResponse(220); err != nil {
		var te *textproto.Error
		if errors.As(err, &te) {
			return checks.Fail("tls_unavailable", "SMTP server at %s refused STARTTLS: %d %s", addr, code, msg)
		}
		return smtpErr("STARTTLS", err)
	}
	return nil
}

// ehloName is our address literal, which RFC 5321 allows when the client
// has no meaningful host name.
func ehloName(conn net.Conn) string {
	if a, ok := conn.LocalAddr().(*net.TCPAddr); ok {
		if a.IP.To4() != nil {
			return "[" + a.IP.String() + "]"
		}
		return "[IPv6:" + a.IP.String() + "]"
	}
	return "readyctl.invalid"
}

// clientConfig offers versions lo..hi and the given TLS 1.0-1.2 suites.
// Explicit suites and MinVersion bypass crypto/tls's defaults (and the
// GODEBUG settings tlsrsakex, tls3des, tls10server that only change the
// defaults), so legacy protocol and suites can be offered on purpose.
func clientConfig(lo, hi uint16, suites []uint16) *tls.Config {
	return &tls.Config{MinVersion: lo, MaxVersion: hi, CipherSuites: suites} //nolint:gosec // probing for weak settings is the point
}
