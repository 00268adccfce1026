package sqlite

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"boxoffice"
	"boxoffice/storetest"
)

// held reads the seat map of every show of the store at path, checking that
// each show's change log replays to its seat map (a copy made in the middle
// of a write would not), and closes the store.
func held(t *testing.T, path string, p boxoffice.Programme) map[boxoffice.ShowID]map[boxoffice.SeatID]boxoffice.Guest {
	t.Helper()
	s, err := Open(t.Context(), path, Options{})
	if err != nil {
		t.Fatalf("Open(%s) = %v", path, err)
	}
	defer s.Close()
	all := map[boxoffice.ShowID]map[boxoffice.SeatID]boxoffice.Guest{}
	for _, sh := range p.Shows {
		all[sh.ID] = storetest.Replayed(t.Context(), t, s, sh.ID)
	}
	return all
}

// noStrays fails if dir holds a temporary file (Backup's and Restore's
// start with a dot), whether they succeeded or not.
func noStrays(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("%s holds %s, left behind", dir, e.Name())
		}
	}
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// A backup made while guests keep booking and releasing is one moment of
// the database: every booking acknowledged before it began, and not
// released by a request sent before it ended, is in it; every release
// likewise; its change logs replay to its seat maps. It opens as a database
// of its own (in WAL mode once opened, as the server runs it), mode 0600.
func TestBackupWhileBooking(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "live.db")
	s := openTest(t, db, Options{})
	p := seedDemo(t, s, time.Now())
	show := p.Shows[0].ID
	var seats []boxoffice.Seat
	for _, h := range p.Halls {
		if h.ID == p.Shows[0].Hall.ID {
			seats = h.Layout.Seats
		}
	}
	if len(seats) < 5*16 {
		t.Fatalf("the first show's hall has %d seats; the guests need 80 and more", len(seats))
	}

	// Each guest books and releases seats of its own, one request at a
	// time, holding up to five: what a seat holds at any moment follows
	// from its one guest's requests and when they were sent and answered.
	type op struct {
		seat        boxoffice.SeatID
		book        bool
		sent, acked time.Time
	}
	const guests = 16
	var (
		ops    [guests][]op
		done   atomic.Int64
		stop   = make(chan struct{})
		enough = make(chan struct{})
		wg     sync.WaitGroup
	)
	for g := range guests {
		wg.Go(func() {
			guest := boxoffice.Guest(fmt.Sprintf("guest-%02d", g))
			var mine []boxoffice.SeatID
			own := len(seats) / guests
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				o := op{seat: seats[g+guests*(i%own)].ID, book: true}
				if len(mine) == 5 {
					o = op{seat: mine[0], book: false}
				}
				o.sent = time.Now()
				var err error
				if o.book {
					_, err = s.Book(t.Context(), show, []boxoffice.SeatID{o.seat}, guest, "", 0)
				} else {
					_, err = s.Release(t.Context(), show, []boxoffice.SeatID{o.seat}, guest)
				}
				if err != nil {
					t.Error(err)
					return
				}
				o.acked = time.Now()
				ops[g] = append(ops[g], o)
				if o.book {
					mine = append(mine, o.seat)
				} else {
					mine = mine[1:]
				}
				if done.Add(1) == 400 {
					close(enough)
				}
			}
		})
	}
	<-enough
	type backup struct {
		path       string
		began, end time.Time
	}
	var backups []backup
	for i := range 3 {
		b := backup{path: filepath.Join(dir, fmt.Sprintf("copy-%d.db", i)), began: time.Now()}
		if err := Backup(t.Context(), db, b.path, false); err != nil {
			t.Fatal(err)
		}
		b.end = time.Now()
		backups = append(backups, b)
	}
	close(stop)
	wg.Wait()
	if t.Failed() {
		return
	}
	for _, b := range backups {
		if m := mode(t, b.path); m != 0o600 {
			t.Errorf("%s has mode %v, want 0600", b.path, m)
		}
		h := held(t, b.path, p)[show]
		checked, unsure := 0, 0
		for g := range guests {
			guest := boxoffice.Guest(fmt.Sprintf("guest-%02d", g))
			last := map[boxoffice.SeatID]op{} // answered before the backup began
			ambiguous := map[boxoffice.SeatID]bool{}
			for _, o := range ops[g] {
				switch {
				case o.acked.Before(b.began):
					last[o.seat] = o
				case o.sent.Before(b.end):
					ambiguous[o.seat] = true // the copy may have been made before or after it
				}
			}
			for seat, o := range last {
				if ambiguous[seat] {
					unsure++
					continue
				}
				checked++
				if got := h[seat]; o.book && got != guest {
					t.Errorf("%s: seat %s is held by %q; %s's booking was acknowledged before the backup began", b.path, seat, got, guest)
				} else if !o.book && got != "" {
					t.Errorf("%s: seat %s is held by %q; %s's release was acknowledged before the backup began", b.path, seat, got, guest)
				}
			}
		}
		t.Logf("%s: took %v, %d seats held, %d seats checked, %d written to during the backup",
			b.path, b.end.Sub(b.began).Round(time.Microsecond), len(h), checked, unsure)
		if checked < 100 {
			t.Errorf("%s: only %d seats could be checked", b.path, checked)
		}
	}
	// Opened, the copy runs in WAL mode like the database it came from.
	cs := openTest(t, backups[0].path, Options{})
	var journal string
	if err := cs.writer.QueryRowContext(t.Context(), `PRAGMA journal_mode`).Scan(&journal); err != nil || journal != "wal" {
		t.Errorf("the opened copy's journal_mode = %q, %v; want wal", journal, err)
	}
	noStrays(t, dir)
}

// Backup never replaces a file unless told to, and then replaces it whole
// with mode 0600; it refuses to copy a missing database or onto itself.
func TestBackupRefuses(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "live.db")
	s := openTest(t, db, Options{})
	p := seedDemo(t, s, time.Now())
	if _, err := s.Book(t.Context(), p.Shows[0].ID, []boxoffice.SeatID{"D1"}, "ann", "", 0); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(dir, "backup.db")
	if err := os.WriteFile(dest, []byte("last week's backup"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Backup(t.Context(), db, dest, false); !errors.Is(err, ErrExists) {
		t.Errorf("Backup onto an existing file = %v; want ErrExists", err)
	}
	if b, _ := os.ReadFile(dest); string(b) != "last week's backup" {
		t.Errorf("the refused backup changed the file: %q", b)
	}
	noStrays(t, dir)

	if err := Backup(t.Context(), db, dest, true); err != nil {
		t.Fatalf("Backup with overwrite = %v", err)
	}
	if m := mode(t, dest); m != 0o600 {
		t.Errorf("the replaced file has mode %v, want 0600", m)
	}
	if h := held(t, dest, p); h[p.Shows[0].ID]["D1"] != "ann" {
		t.Errorf("the replaced file holds %v, want ann's D1", h[p.Shows[0].ID])
	}

	missing := filepath.Join(dir, "missing.db")
	if err := Backup(t.Context(), missing, filepath.Join(dir, "x.db"), false); err == nil {
		t.Error("Backup of a missing database succeeded")
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Backup of a missing database created it: %v", err)
	}
	if err := Backup(t.Context(), db, db, true); err == nil {
		t.Error("Backup onto the database itself succeeded")
	}
	noStrays(t, dir)
}

// copyFiles copies the database at src with its -wal and -shm to dst: what
// a server killed at that moment would have left there.
func copyFiles(t *testing.T, src, dst string) {
	t.Helper()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(src + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst+suffix, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Restore puts a backup in place, into a new path or over a database that a
// killed server left with a write-ahead log: the log is deleted, not
// replayed onto the backup.
func TestRestore(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	db := filepath.Join(dir, "live.db")
	s := openTest(t, db, Options{})
	p := seedDemo(t, s, time.Now())
	show := p.Shows[0].ID
	if _, err := s.Book(ctx, show, []boxoffice.SeatID{"D1"}, "ann", "", 0); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(dir, "backup.db")
	if err := Backup(ctx, db, backup, false); err != nil {
		t.Fatal(err)
	}
	// After the backup: in the log a killed server leaves behind.
	if _, err := s.Book(ctx, show, []boxoffice.SeatID{"D2"}, "bob", "", 0); err != nil {
		t.Fatal(err)
	}
	crashed := filepath.Join(dir, "crashed.db")
	copyFiles(t, db, crashed)
	if fi, err := os.Stat(crashed + "-wal"); err != nil || fi.Size() == 0 {
		t.Fatalf("the crashed database has no write-ahead log to be stale: %v", err)
	}

	fresh := filepath.Join(dir, "fresh.db")
	for _, target := range []string{fresh, crashed} {
		r, err := Restore(ctx, backup, target)
		if err != nil {
			t.Fatalf("Restore to %s = %v", target, err)
		}
		if target == crashed && len(r.Removed) != 2 {
			t.Errorf("Restore over the crashed database removed %v; want its -wal and -shm", r.Removed)
		}
		for _, suffix := range []string{"-wal", "-shm"} {
			if _, err := os.Stat(target + suffix); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s%s is still there after Restore: %v", target, suffix, err)
			}
		}
		if m := mode(t, target); m != 0o600 {
			t.Errorf("%s has mode %v, want 0600", target, m)
		}
		want := map[boxoffice.SeatID]boxoffice.Guest{"D1": "ann"}
		if h := held(t, target, p)[show]; !maps.Equal(h, want) {
			t.Errorf("restored %s holds %v, want the backup's %v", target, h, want)
		}
	}
	noStrays(t, dir)
}

// Restore refuses a file that is not an intact boxoffice database, or a
// database in use, and then leaves the target as it was, its log included.
func TestRestoreRefuses(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	db := filepath.Join(dir, "live.db")
	s := openTest(t, db, Options{})
	p := seedDemo(t, s, time.Now())
	if _, err := s.Book(ctx, p.Shows[0].ID, []boxoffice.SeatID{"D1"}, "ann", "", 0); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(dir, "backup.db")
	if err := Backup(ctx, db, backup, false); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, "target.db")
	copyFiles(t, db, target)

	write := func(name string, b []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	other := filepath.Join(dir, "other.db")
	o, err := Open(ctx, other, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.writer.ExecContext(ctx, `DROP TABLE schema_migrations`); err != nil {
		t.Fatal(err)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	corrupt := append([]byte{}, good...)
	for i := 4096; i < len(corrupt); i += 97 {
		corrupt[i] ^= 0x5a
	}
	for name, file := range map[string]string{
		"a text file":                   write("notes.txt", []byte("not a database")),
		"a truncated backup":            write("truncated.db", good[:len(good)/2]),
		"a corrupt backup":              write("corrupt.db", corrupt),
		"a database of another program": other,
		"a database in use":             db,
		"a missing file":                filepath.Join(dir, "missing.db"),
		"the target itself":             target,
	} {
		if _, err := Restore(ctx, file, target); err == nil {
			t.Errorf("Restore of %s succeeded", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	if _, err := os.Stat(target + "-wal"); err != nil {
		t.Errorf("a refused restore removed the target's log: %v", err)
	}
	if h := held(t, target, p)[p.Shows[0].ID]; h["D1"] != "ann" {
		t.Errorf("after the refused restores the target holds %v, want it as it was", h)
	}
	noStrays(t, dir)
}
