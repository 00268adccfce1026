//go:build unix

package sqlite

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Run as root, as operators run it (sudo), Restore leaves the database and
// its lock file to the owner of the directory, the user the server runs as
// (systemd's dynamic user, a container's 65532): a file owned by root with
// mode 0600 is one the server cannot open, and systemd does not re-own it.
func TestRestoreAsRootHandsFilesToTheDirectorysOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root can give a file away")
	}
	dir := t.TempDir()
	ctx := t.Context()
	live := filepath.Join(dir, "live.db")
	seedDemo(t, openTest(t, live, Options{}), time.Now())
	backup := filepath.Join(dir, "backup.db")
	if err := Backup(ctx, live, backup, false); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "state")
	if err := os.Mkdir(state, 0o700); err != nil {
		t.Fatal(err)
	}
	const server = 65532
	if err := os.Chown(state, server, server); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(state, "boxoffice.db")
	lock, err := Lock(db)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock()
	if _, err := Restore(ctx, backup, db); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{db, LockPath(db)} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st := fi.Sys().(*syscall.Stat_t); st.Uid != server || st.Gid != server {
			t.Errorf("%s belongs to %d:%d after a restore as root; want the directory's %d:%d", path, st.Uid, st.Gid, server, server)
		}
	}
}
