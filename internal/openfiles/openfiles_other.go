//go:build !unix

package openfiles

// Limit returns 0: the system has no RLIMIT_NOFILE.
func Limit() (uint64, error) { return 0, nil }
