//go:build !unix

package signoff

// Without O_NOFOLLOW the Lstat check and the SameFile check after opening
// are what keep links and special files out.
const openFlags = 0
