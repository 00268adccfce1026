package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
)

// ErrExists is returned by Backup when its destination exists and it was not
// told to overwrite it.
var ErrExists = errors.New("sqlite: the backup file exists")

// Backup writes a consistent copy of the database at db to dest: the
// database as it was at one moment, while a server may go on writing to it.
//
// The copy is VACUUM INTO, which reads the whole database in one read
// transaction: in WAL mode the server's writer goes on committing meanwhile
// (the copy just does not see those commits), and only checkpoints wait.
// It needs no lock of db: it runs beside a serving server.
//
// The copy is written to a temporary file beside dest, synced (VACUUM INTO
// does not fsync) and then put in place, so dest is never a half-written
// database, even after a crash. Without overwrite an existing dest is
// refused with ErrExists, checked first and again at the moment the copy is
// put in place (by a hard link, which cannot replace a file). The copy has
// mode 0600: it holds what the database holds. It is in rollback-journal
// mode; Open switches it to WAL like any database it opens.
func Backup(ctx context.Context, db, dest string, overwrite bool) (err error) {
	if _, err := os.Stat(db); err != nil {
		return fmt.Errorf("sqlite: backup: no database to copy: %w", err)
	}
	if same, err := sameFile(db, dest); err != nil || same {
		if err == nil {
			err = errors.New("it is the database itself")
		}
		return fmt.Errorf("sqlite: backup to %s: %w", dest, err)
	}
	if !overwrite {
		if _, err := os.Lstat(dest); err == nil {
			return fmt.Errorf("%w: %s", ErrExists, dest)
		}
	}
	// Created empty with mode 0600: VACUUM INTO accepts an empty file and
	// keeps its mode, where a file it creates would get the umask's.
	tmp, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".tmp-*")
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	name := tmp.Name()
	if err := tmp.Close(); err != nil {
		os.Remove(name)
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	defer func() {
		if err != nil {
			os.Remove(name)
		}
	}()
	if err := vacuumInto(ctx, db, name); err != nil {
		return err
	}
	if err := syncFile(name); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	if err := os.Chmod(name, 0o600); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	if overwrite {
		err = os.Rename(name, dest)
	} else if err = os.Link(name, dest); err == nil {
		err = os.Remove(name)
	} else if errors.Is(err, fs.ErrExist) {
		// Someone made dest while the copy was being written.
		return fmt.Errorf("%w: %s", ErrExists, dest)
	}
	if err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	if err := syncDir(filepath.Dir(dest)); err != nil {
		return fmt.Errorf("sqlite: backup: %w", err)
	}
	return nil
}

// vacuumInto copies the database at db into the empty file dest, reading db
// through a read-only connection: a backup must never write to what it
// copies (mode=ro refuses even an accidental write, and does not create a
// missing database).
func vacuumInto(ctx context.Context, db, dest string) error {
	src, err := sql.Open("sqlite", fileURI(db)+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		return fmt.Errorf("sqlite: backup: open %s: %w", db, err)
	}
	defer src.Close()
	if _, err := src.ExecContext(ctx, `VACUUM INTO ?`, dest); err != nil {
		return fmt.Errorf("sqlite: backup: copying %s: %w", db, err)
	}
	return src.Close()
}

// Restored says what Restore did besides putting the backup in place.
type Restored struct {
	// Removed lists the files of the replaced database that Restore
	// deleted: a write-ahead log, its index or a rollback journal, which
	// SQLite would otherwise apply to the restored file.
	Removed []string
}

// Restore puts the backup file in place of the database at db, which need
// not exist. The caller must hold db's lock (Lock): no process may have db
// open, or it would go on writing to the file that was replaced.
//
// The backup is copied to a temporary file beside db, synced, and checked
// there (the bytes checked are the bytes put in place): it must be an intact
// SQLite database (integrity_check) with boxoffice's migrations table.
// Only then are db's -wal, -shm and -journal deleted, since a log left
// by a server that was killed would be replayed onto the restored file, and
// the copy renamed over db. The result has mode 0600; run as root, Restore
// gives it, and db's lock file, the owner of db's directory, who runs the
// server.
func Restore(ctx context.Context, backup, db string) (r Restored, err error) {
	if same, err := sameFile(backup, db); err != nil || same {
		if err == nil {
			err = errors.New("it is the database itself")
		}
		return r, fmt.Errorf("sqlite: restore from %s: %w", backup, err)
	}
	// A database file with a log beside it is a live or crashed database
	// whose latest commits are in the log: the file alone lacks them.
	if fi, err := os.Stat(backup + "-wal"); err == nil && fi.Size() > 0 {
		return r, fmt.Errorf("sqlite: restore: %s has a write-ahead log beside it (%s): it is a database in use or left by a stopped server, not a backup; copy it with boxoffice backup", backup, backup+"-wal")
	}
	in, err := os.Open(backup)
	if err != nil {
		return r, fmt.Errorf("sqlite: restore: %w", err)
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(db), "."+filepath.Base(db)+".restore-*")
	if err != nil {
		return r, fmt.Errorf("sqlite: restore: %w", err)
	}
	name := tmp.Name()
	defer func() {
		if err != nil {
			os.Remove(name)
		}
	}()
	_, err = io.Copy(tmp, in)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return r, fmt.Errorf("sqlite: restore: copying %s: %w", backup, err)
	}
	if err := checkBackup(ctx, name); err != nil {
		return r, fmt.Errorf("sqlite: restore: %s is not a boxoffice database to restore: %w", backup, err)
	}
	if err := os.Chmod(name, 0o600); err != nil {
		return r, fmt.Errorf("sqlite: restore: %w", err)
	}
	for _, path := range []string{name, LockPath(db)} {
		if err := handToDirOwner(path, filepath.Dir(db)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return r, fmt.Errorf("sqlite: restore: %w", err)
		}
	}
	for _, suffix := range []string{"-wal", "-shm", "-journal"} {
		switch err := os.Remove(db + suffix); {
		case err == nil:
			r.Removed = append(r.Removed, db+suffix)
		case !errors.Is(err, fs.ErrNotExist):
			return r, fmt.Errorf("sqlite: restore: %w", err)
		}
	}
	// The logs must be gone for good before the copy takes db's name:
	// a crash in between must not leave them beside the restored file.
	if err := syncDir(filepath.Dir(db)); err != nil {
		return r, fmt.Errorf("sqlite: restore: %w", err)
	}
	if err := os.Rename(name, db); err != nil {
		return r, fmt.Errorf("sqlite: restore: %w", err)
	}
	if err := syncDir(filepath.Dir(db)); err != nil {
		return r, fmt.Errorf("sqlite: restore: %w", err)
	}
	return r, nil
}

// checkBackup checks that the file at path is an intact boxoffice database.
// immutable=1: the file is a private copy nobody writes, so SQLite takes no
// locks and creates no -wal or -shm beside it, whatever its journal mode.
func checkBackup(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", fileURI(path)+"?mode=ro&immutable=1")
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return err
	}
	var problems []error
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			rows.Close()
			return err
		}
		if line != "ok" && len(problems) < 5 {
			problems = append(problems, errors.New(line))
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("integrity check: %w", errors.Join(problems...))
	}
	var migrations int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&migrations); err != nil {
		return fmt.Errorf("no migrations table: %w", err)
	}
	if migrations == 0 {
		return errors.New("its migrations table is empty")
	}
	return nil
}

// fileURI is path as a file: URI for SQLite, which decodes %XX: a path with
// '?' or '#' in it stays one path.
func fileURI(path string) string {
	return "file:" + (&url.URL{Path: path}).EscapedPath()
}

// sameFile reports whether a and b name one existing file; a missing b is
// not a, and a missing a is no error here (the caller reports it).
func sameFile(a, b string) (bool, error) {
	fa, err := os.Stat(a)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	fb, err := os.Stat(b)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return os.SameFile(fa, fb), nil
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	return errors.Join(err, f.Close())
}

// syncDir makes a rename or removal in dir durable: on Linux a new name is
// on disk only once its directory is synced. Windows cannot sync a
// directory, and needs not.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	return errors.Join(err, f.Close())
}
