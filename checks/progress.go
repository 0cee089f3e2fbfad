package checks

import "context"

type progressKey struct{}

// ProgressFunc receives a one-line description of a long-running probe's
// progress, e.g. "12s/30s 48,210 req 4,017 req/s 0 errors".
type ProgressFunc func(line string)

// WithProgress returns a context that carries a progress sink. The runner
// installs one per item; it shows the line on a terminal and drops it
// otherwise.
func WithProgress(ctx context.Context, f ProgressFunc) context.Context {
	return context.WithValue(ctx, progressKey{}, f)
}

// Progress reports a progress line for the probe running under ctx. It is
// cheap and safe to call from many goroutines, and a no-op when nobody
// listens.
func Progress(ctx context.Context, line string) {
	if f, ok := ctx.Value(progressKey{}).(ProgressFunc); ok && f != nil {
		f(line)
	}
}
