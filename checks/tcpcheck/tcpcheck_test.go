package tcpcheck

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/readyctl/readyctl/checks"
)

func TestTCP(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedAddr := closed.Addr().String()
	closed.Close()

	cases := []struct {
		name         string
		addr         string
		expectClosed bool
		reason       string // "" = pass
	}{
		{"open", l.Addr().String(), false, ""},
		{"refused", closedAddr, false, "connection_refused"},
		{"closed as expected", closedAddr, true, ""},
		{"open but expected closed", l.Addr().String(), true, "open"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := New()
			p.Address, p.ExpectClosed = c.addr, c.expectClosed
			if err := p.Validate(); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			obs, err := p.Run(ctx)
			if got := checks.Classify(err); got != c.reason {
				t.Errorf("reason %q (%v), want %q", got, err, c.reason)
			}
			if obs["connected"] != (c.addr == l.Addr().String()) {
				t.Errorf("connected = %v", obs["connected"])
			}
		})
	}
}

func TestValidate(t *testing.T) {
	for _, addr := range []string{"", "localhost", "host:"} {
		p := New()
		p.Address = addr
		if p.Validate() == nil {
			t.Errorf("address %q accepted", addr)
		}
	}
}
