//go:build unix

package server

import "syscall"

// raiseOpenFiles lifts the soft limit on open files to the hard limit: every
// event stream holds a connection, and 10,000 watchers need more than the
// usual soft limit of 1024. It returns the limit now in force.
func raiseOpenFiles() (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	if l.Cur < l.Max {
		l.Cur = l.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
			return 0, err
		}
	}
	return uint64(l.Cur), nil
}
