//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package sqlite

import "os"

// tryLock does nothing where there is no flock: the lock only guards
// against a mistake (an import beside a server), and SQLite's own locking
// still keeps the file consistent.
func tryLock(f *os.File) error { return nil }
