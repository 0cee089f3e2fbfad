package checks

import (
	"context"
	"sync"
)

// A Pool holds what the items of one round may share: open connections
// to a server that an earlier item of the round dialed. The runner makes
// one per round and closes it when the round ends, and gives it only to an
// item's first attempt. So nothing outlives a round (each round dials
// afresh, and a server that stopped accepting connections fails it), and
// a retry never rides the connection its failed attempt used.
//
// Sharing is what makes a round of thousands of items against one server
// cheap: a fresh TCP (and TLS) connection per item costs more CPU, on both
// sides, than the request it carries.
type Pool struct {
	ctx    context.Context // canceled by Close: stops dials still under way
	cancel context.CancelFunc

	mu      sync.Mutex
	values  map[any]any
	closers []func()
	closed  bool
}

// NewPool returns an empty pool; Close it when the round ends.
func NewPool() *Pool {
	ctx, cancel := context.WithCancel(context.Background())
	return &Pool{ctx: ctx, cancel: cancel, values: map[any]any{}}
}

// Close releases everything shared in the pool. Probes still holding a
// shared value may finish with it; nothing is shared after Close.
func (p *Pool) Close() {
	p.mu.Lock()
	closers := p.closers
	p.closers, p.values, p.closed = nil, nil, true
	p.mu.Unlock()
	p.cancel()
	for _, c := range closers {
		c()
	}
}

type poolKey struct{}

// WithPool returns a context whose probes share through p; a nil p takes
// an outer pool away (a retry dials its own connection).
func WithPool(ctx context.Context, p *Pool) context.Context {
	return context.WithValue(ctx, poolKey{}, p)
}

// Shared returns the value under key in the pool of ctx, made by build on
// first use. build also returns how to release the value when the round
// ends, and a context that ends then (for work the value starts in the
// background, such as a dial another item will use). ok is false when
// ctx has no pool or it is closed: the caller then makes its own value,
// used once. An error from build is returned and nothing is kept, so each
// item that asks reports it.
func Shared(ctx context.Context, key any, build func(done context.Context) (v any, release func(), err error)) (v any, ok bool, err error) {
	p, _ := ctx.Value(poolKey{}).(*Pool)
	if p == nil {
		return nil, false, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, false, nil
	}
	if v, ok := p.values[key]; ok {
		return v, true, nil
	}
	v, release, err := build(p.ctx)
	if err != nil {
		return nil, false, err
	}
	p.values[key] = v
	if release != nil {
		p.closers = append(p.closers, release)
	}
	return v, true, nil
}
