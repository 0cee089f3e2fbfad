package checks

import "context"

type secretsKey struct{}

// SecretFunc receives a value a probe learned at run time that must
// never be shown: a token or session cookie a flow captured.
type SecretFunc func(secret string)

// WithSecrets returns a context that carries a sink for run-time
// secrets. The runner installs one per attempt and masks what it
// receives in every output of the run, at the same boundary as the
// checklist's ${env:...} secrets.
func WithSecrets(ctx context.Context, f SecretFunc) context.Context {
	return context.WithValue(ctx, secretsKey{}, f)
}

// AddSecret declares secret as one to mask. Call it before the value can
// reach an observation, a message or a log. A no-op when nobody listens.
func AddSecret(ctx context.Context, secret string) {
	if f, ok := ctx.Value(secretsKey{}).(SecretFunc); ok && f != nil && secret != "" {
		f(secret)
	}
}
