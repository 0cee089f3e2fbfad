// Package readyctl holds what the repository ships beside the code: the
// checklist of the seed's production deployment, embedded so `readyctl
// demo` checks the very file users copy.
package readyctl

import _ "embed"

// Checklist is checklist.yaml at the repository root, byte for byte.
//
//go:embed checklist.yaml
var Checklist []byte
