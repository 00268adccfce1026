package sqlite

import (
	"errors"
	"fmt"
	"os"
)

// ErrLocked is returned by Lock while another process, or another Lock in
// this one, holds the database's lock: a boxoffice server is serving it.
var ErrLocked = errors.New("sqlite: the database is locked by a boxoffice server")

// ServerLock is held by a process that serves a SQLite database, so that
// commands which must not run beside a server (programme import, migrate)
// can tell one is running and refuse, rather than change the database
// under a server whose caches would not see it.
//
// It is an exclusive flock(2) on the file <db>.lock, not a lock inside the
// database: the kernel releases it when the process ends, however it ends,
// so a server killed with SIGKILL leaves nothing stale behind. On systems
// without flock it is not taken (Lock always succeeds).
type ServerLock struct {
	f *os.File
}

// LockPath is the file whose lock stands for the database at path.
func LockPath(path string) string { return path + ".lock" }

// Lock takes the lock of the database at path without waiting, creating the
// lock file if need be. ErrLocked if it is held.
func Lock(path string) (*ServerLock, error) {
	f, err := os.OpenFile(LockPath(path), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("sqlite: lock: %w", err)
	}
	if err := tryLock(f); err != nil {
		f.Close()
		return nil, err
	}
	return &ServerLock{f: f}, nil
}

// Unlock releases the lock. The file stays: removing it would race with a
// process that has opened it and is about to lock it.
func (l *ServerLock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the last descriptor releases the flock
	l.f = nil
	return err
}
