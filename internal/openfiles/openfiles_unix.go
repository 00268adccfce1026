//go:build unix

// Package openfiles reads the process's limit on open files: every event
// stream holds a connection, so the limit bounds how many watchers a process
// can serve (or, in the load tool, open).
//
// Nothing here raises the limit: since Go 1.19 the runtime lifts the soft
// limit to the hard one (or one less) at start, on every Unix.
package openfiles

import "syscall"

// Limit returns the soft limit on open files now in force.
func Limit() (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	return uint64(l.Cur), nil
}
