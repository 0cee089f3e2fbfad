package pgcheck

import (
	"testing"
	"time"

	"github.com/readyctl/readyctl/internal/probetest"
)

// secret is the superuser password of the test servers. No message or
// observation may ever contain it.
const secret = "Sup3r-s3cret-pw"

// decode builds a probe the way the loader does: defaults, strict decode,
// Validate.
func decode(t *testing.T, dsn, opts string) *Probe {
	t.Helper()
	p := New()
	probetest.Decode(t, p, opts)
	p.DSN = dsn
	if err := p.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	return p
}

// result is one run of a probe (see internal/probetest).
type result = probetest.Result

// run runs a probe under a deadline and checks that the password leaked
// nowhere.
func run(t *testing.T, p *Probe, timeout time.Duration) result {
	t.Helper()
	return probetest.Run(t, p, timeout, secret)
}

// noSecret checks a result obtained without run.
func noSecret(t *testing.T, r result) {
	t.Helper()
	r.NoSecret(t, secret)
}
