package server_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"boxoffice"
	"boxoffice/demo"
	"boxoffice/postgres"
	"boxoffice/postgres/pgtest"
)

// pgTool finds pg_dump or pg_restore: a missing one skips the test, or
// fails it under CI=true, like a missing PostgreSQL.
func pgTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed; CI must test the PostgreSQL backup the README documents", name)
		}
		t.Skipf("%s is not installed (Debian: postgresql-client)", name)
	}
	return path
}

// The PostgreSQL backup is the commands backup and restore print and the
// README gives: pg_dump's archive, restored with pg_restore over a database
// that has moved on since, gives back the bookings of the moment of the
// dump, and boxoffice opens it.
func TestPgDumpAndPgRestore(t *testing.T) {
	pgDump, pgRestore := pgTool(t, "pg_dump"), pgTool(t, "pg_restore")
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	src, dst := pgtest.Database(t), pgtest.Database(t)
	open := func(url string) *postgres.Store {
		s, err := postgres.Open(ctx, url, postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := open(src)
	p, err := demo.Programme(time.Now(), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Seed(ctx, p); err != nil {
		t.Fatal(err)
	}
	show := p.Shows[0].ID
	book := func(s *postgres.Store, seat boxoffice.SeatID, guest boxoffice.Guest) {
		if _, err := s.Book(ctx, show, []boxoffice.SeatID{seat}, guest, "", 0); err != nil {
			t.Fatal(err)
		}
	}
	book(s, "D1", "ann")

	dump := filepath.Join(t.TempDir(), "boxoffice.dump")
	run := func(name string, args ...string) {
		t.Helper()
		out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
		}
	}
	// The servers go on while pg_dump runs: it reads one snapshot.
	run(pgDump, "--format=custom", "--file="+dump, src)
	book(s, "D2", "bob") // after the dump
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Restored once into an empty database, and again over it once it has
	// moved on: --clean drops what the archive recreates.
	for i := range 2 {
		run(pgRestore, "--clean", "--if-exists", "--no-owner", "--single-transaction", "--dbname="+dst, dump)
		r := open(dst)
		m, err := r.SeatMap(ctx, show)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Holders) != 1 || m.Holders["D1"] != "ann" {
			t.Errorf("restore %d: the seat map holds %v, want ann's D1 alone", i+1, m.Holders)
		}
		book(r, "D3", "cid")
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// Backup and restore on PostgreSQL do nothing but say which command does it.
func TestBackupPostgresSaysPgDump(t *testing.T) {
	url := "postgres://boxoffice:secret@db.example/boxoffice?pool_max_conns=20&sslmode=require"
	for _, tc := range []struct {
		verb string
		want []string
	}{
		{"backup", []string{"pg_dump --format=custom --file=b.dump 'postgres://boxoffice:xxxxx@db.example/boxoffice?sslmode=require'"}},
		{"restore", []string{"pg_restore --clean --if-exists --no-owner --single-transaction --dbname='postgres://boxoffice:xxxxx@db.example/boxoffice?sslmode=require' b.dump"}},
	} {
		_, errOut, err := command(t, tc.verb, "b.dump", "--db", url)
		if err == nil {
			t.Errorf("%s on PostgreSQL exited 0", tc.verb)
		}
		for _, w := range tc.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("%s on PostgreSQL says\n%s\nwant it to name\n%s", tc.verb, errOut, w)
			}
		}
		if strings.Contains(errOut, "secret") {
			t.Errorf("%s on PostgreSQL prints the password: %s", tc.verb, errOut)
		}
		if _, err := os.Stat("b.dump"); err == nil {
			t.Errorf("%s on PostgreSQL made a file", tc.verb)
		}
	}
}
