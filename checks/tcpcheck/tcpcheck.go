// Package tcpcheck is the `tcp` probe kind: can a TCP connection be opened
// (or, with expect_closed, can it not: for firewall checks). It sends no
// data and closes the connection at once.
package tcpcheck

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"

	"github.com/readyctl/readyctl/checks"
)

//go:embed example.yaml
var example string

func init() {
	checks.Register(checks.Kind{
		Name:         "tcp",
		New:          func() checks.Probe { return New() },
		Summary:      "TCP connect: a port accepts connections (or, for firewall rules, does not)",
		Example:      example,
		Observations: observations,
	})
}

// Probe is the `tcp:` block of an item.
type Probe struct {
	Address        string        `yaml:"address" doc:"host:port to connect to (required)"`
	ExpectClosed   bool          `yaml:"expect_closed" doc:"pass only when nothing accepts: refused or no answer (firewall checks)"`
	ConnectTimeout time.Duration `yaml:"connect_timeout" doc:"with expect_closed: how long no answer counts as closed; always bounded by the item timeout"`
}

// New returns a Probe with its defaults.
func New() *Probe { return &Probe{ConnectTimeout: 3 * time.Second} }

// Validate checks the configuration without I/O.
func (p *Probe) Validate() error {
	if p.Address == "" {
		return checks.FieldErrorf("address", "address is required (host:port)")
	}
	if _, port, err := net.SplitHostPort(p.Address); err != nil || port == "" {
		return checks.FieldErrorf("address", "address %q: expected host:port", p.Address)
	}
	if p.ConnectTimeout <= 0 {
		return checks.FieldErrorf("connect_timeout", "must be greater than 0")
	}
	return nil
}

// Run dials the address.
func (p *Probe) Run(ctx context.Context) (checks.Observations, error) {
	dctx := ctx
	if p.ExpectClosed {
		var cancel context.CancelFunc
		dctx, cancel = context.WithTimeout(ctx, p.ConnectTimeout)
		defer cancel()
	}
	start := time.Now()
	var d net.Dialer
	conn, err := d.DialContext(dctx, "tcp", p.Address)
	obs := checks.Observations{"connected": err == nil, "latency": time.Since(start)}
	if err == nil {
		conn.Close()
		if p.ExpectClosed {
			return obs, checks.Fail("open", "%s accepts connections, expected it closed", p.Address)
		}
		return obs, nil
	}
	if p.ExpectClosed && ctx.Err() == nil {
		switch {
		case errors.Is(err, syscall.ECONNREFUSED):
			obs["closed_by"] = "refused"
			return obs, nil
		case errors.Is(err, context.DeadlineExceeded) || checks.Classify(err) == checks.ReasonTimeout:
			obs["closed_by"] = "no answer (filtered)"
			return obs, nil
		}
	}
	return obs, fmt.Errorf("connect %s: %w", p.Address, err)
}

var _ checks.Probe = (*Probe)(nil)
