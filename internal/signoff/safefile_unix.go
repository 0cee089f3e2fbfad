//go:build unix

package signoff

import "syscall"

const openFlags = syscall.O_NOFOLLOW | syscall.O_NONBLOCK
