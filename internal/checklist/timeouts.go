package checklist

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/readyctl/readyctl/checks"
)

// checkDefaultsTimeout refuses `defaults.timeout: 0s` like an item's
// timeout of 0 (it used to be replaced silently) and records whether the
// file set a default timeout at all: only a timeout nobody wrote may be
// raised to fit a lengthy item.
func (l *loader) checkDefaultsTimeout(dn *yaml.Node, d Defaults) {
	n := valueNode(dn, "timeout")
	if n == nil {
		return
	}
	l.defaultTimeoutSet = true
	// A value that did not parse was reported already.
	if _, err := time.ParseDuration(n.Value); err == nil && d.Timeout <= 0 {
		l.errAt(n, 0, "defaults.timeout must be greater than 0")
	}
}

// timeoutMargin is what an item without an explicit timeout gets on top of
// the least time its probe needs: connecting, the main request, and
// answers still in flight when the measured time ends.
func timeoutMargin(need time.Duration) time.Duration {
	return 5*time.Second + need/10
}

// fitTimeout makes a lengthy probe's timeout fit what it needs: an item
// whose timeout nobody wrote gets one that fits; a written one that cannot
// fit is an error naming both numbers, rather than an attempt that ends
// in "timeout" on every run.
func (l *loader) fitTimeout(n, kindKey *yaml.Node, it *Item, itemTimeoutSet bool) {
	lengthy, ok := it.Probe.(checks.Lengthy)
	if !ok {
		return
	}
	need := lengthy.MinDuration()
	if need <= 0 {
		return
	}
	fit := (need + timeoutMargin(need) + time.Second - 1).Truncate(time.Second)
	switch {
	case !itemTimeoutSet && !l.defaultTimeoutSet:
		it.Timeout = max(it.Timeout, fit)
	case it.Timeout > need:
		return
	case itemTimeoutSet:
		l.errAt(valueNode(n, "timeout"), 0, fmt.Sprintf("timeout %s cannot fit this %s item, which needs at least %s: raise it (e.g. timeout: %s) or remove it to get one that fits", it.Timeout, it.Kind, need, fit))
	default:
		l.errAt(kindKey, 0, fmt.Sprintf("defaults.timeout %s cannot fit this %s item, which needs at least %s: give the item its own timeout (e.g. timeout: %s)", it.Timeout, it.Kind, need, fit))
	}
}
