//go:build linux

package sqlite

import (
	"errors"
	"os/exec"
	"path/filepath"
	"testing"
)

// A server's lock keeps a second holder out until it is released, in this
// process and in another one.
func TestLock(t *testing.T) {
	db := filepath.Join(t.TempDir(), "boxoffice.db")
	l, err := Lock(db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Lock(db); !errors.Is(err, ErrLocked) {
		t.Fatalf("a second Lock = %v; want ErrLocked", err)
	}
	// flock(1) from util-linux: another process sees the lock too.
	if flock, err := exec.LookPath("flock"); err == nil {
		if err := exec.Command(flock, "--nonblock", LockPath(db), "true").Run(); err == nil {
			t.Error("another process took the lock while it was held")
		}
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	again, err := Lock(db)
	if err != nil {
		t.Fatalf("Lock after Unlock = %v", err)
	}
	again.Unlock()
}
