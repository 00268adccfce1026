package server

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"boxoffice"
)

// fakeStore answers the programme commands with what a test sets, and
// records what they asked; any other method would panic (nil Store).
type fakeStore struct {
	boxoffice.Store
	programme boxoffice.Programme
	report    boxoffice.ProgrammeReport
	err       error

	applied *boxoffice.Programme
	dryRun  bool
	closed  bool
}

func (f *fakeStore) Programme(ctx context.Context) (boxoffice.Programme, error) {
	return f.programme, f.err
}

func (f *fakeStore) ApplyProgramme(ctx context.Context, p boxoffice.Programme, dryRun bool) (boxoffice.ProgrammeReport, error) {
	f.applied, f.dryRun = &p, dryRun
	return f.report, f.err
}

func (f *fakeStore) Close() error { f.closed = true; return nil }

// useFake makes the programme commands open f, and counts the opens.
func useFake(t *testing.T, f *fakeStore) *int {
	t.Helper()
	opened := new(int)
	was := openCommandStore
	openCommandStore = func(ctx context.Context, db string, log *slog.Logger) (boxoffice.Store, error) {
		*opened++
		return f, nil
	}
	t.Cleanup(func() { openCommandStore = was })
	return opened
}

func noEnv(string) string { return "" }

// run runs the boxoffice command with stdin and returns its stdout and
// stderr.
func run(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := Run(t.Context(), args, noEnv, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

const twoShows = `{
  "halls": [{"id": "studio", "name": "Studio", "layout": "A sssss.sssss\nB sssss.sssss\n-\nC wc.sssss.cw\n"}],
  "shows": [
    {"id": "dune", "title": "Dune", "hall": "studio", "starts_at": "2026-12-06T20:00:00+01:00", "max_seats_per_guest": 6},
    {"id": "heat", "title": "Heat", "hall": "grand", "starts_at": "2026-12-07T21:00:00+01:00", "sales": "closed"}
  ]
}`

// Import prints one line per hall and show, in the document's order, and
// a dry run says the same while asking the store to change nothing.
func TestProgrammeImport(t *testing.T) {
	for _, dry := range []bool{false, true} {
		f := &fakeStore{report: boxoffice.ProgrammeReport{
			Added: []string{"show:heat"}, Changed: []string{"hall:studio"}, Unchanged: []string{"show:dune"}}}
		useFake(t, f)
		args := []string{"programme", "import", "-", "--db", filepath.Join(t.TempDir(), "b.db")}
		if dry {
			args = append(args, "--dry-run") // after the file, as the usage writes it
		}
		out, errOut, err := run(t, twoShows, args...)
		if err != nil {
			t.Fatalf("import: %v\n%s", err, errOut)
		}
		if want := "changed hall:studio\nunchanged show:dune\nadded show:heat\n"; out != want {
			t.Errorf("dry run %v printed:\n%s\nwant:\n%s", dry, out, want)
		}
		if f.applied == nil || f.dryRun != dry || !f.closed {
			t.Fatalf("dry run %v: the store was asked %v with dry run %v, closed %v", dry, f.applied != nil, f.dryRun, f.closed)
		}
		p := *f.applied
		if len(p.Halls) != 1 || len(p.Shows) != 2 || p.Shows[1].Sales != boxoffice.SalesClosed || *p.Shows[0].MaxSeatsPerGuest != 6 {
			t.Errorf("the store was given %+v", p)
		}
		if dry && !strings.Contains(errOut, "nothing changed") {
			t.Errorf("a dry run does not say that nothing changed: %q", errOut)
		}
	}
}

// An invalid document is refused before the database is opened (or made):
// the message names the show, the field, and for a layout, its line.
func TestProgrammeImportInvalid(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{strings.Replace(twoShows, `"starts_at": "2026-12-07T21:00:00+01:00"`, `"starts_at": "7 December"`, 1), "show heat: starts_at"},
		{strings.Replace(twoShows, `\n-\nC wc`, `\n-\nC wx`, 1), "hall studio: layout line 4"},
		{strings.Replace(twoShows, `"sales"`, `"sale"`, 1), `show heat: unknown field "sale"`},
	} {
		f := &fakeStore{}
		opened := useFake(t, f)
		dir := t.TempDir()
		file := filepath.Join(dir, "my.json")
		if err := os.WriteFile(file, []byte(c.doc), 0o644); err != nil {
			t.Fatal(err)
		}
		db := filepath.Join(dir, "b.db")
		_, _, err := run(t, "", "programme", "import", file, "--db", db)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "my.json") {
			t.Errorf("err = %v; want one naming my.json and %q", err, c.want)
		}
		if *opened != 0 {
			t.Error("the database was opened for an invalid document")
		}
		if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the database file exists after an invalid import: %v", err)
		}
	}
}

// A programme the store refuses (a rule, say) is an error, and nothing
// is printed as if it had been imported.
func TestProgrammeImportConflict(t *testing.T) {
	f := &fakeStore{err: boxoffice.Errorf(boxoffice.ECONFLICT, "show dune holds bookings: seat C9 is booked")}
	useFake(t, f)
	out, _, err := run(t, twoShows, "programme", "import", "-", "--db", filepath.Join(t.TempDir(), "b.db"))
	if !errors.Is(err, boxoffice.ErrConflict) || !strings.Contains(err.Error(), "seat C9") || out != "" {
		t.Errorf("err = %v, printed %q; want the conflict and nothing printed", err, out)
	}
}

func TestProgrammeExport(t *testing.T) {
	p, err := boxoffice.ParseProgramme(strings.NewReader(twoShows))
	if err != nil {
		t.Fatal(err)
	}
	p.Shows[1].Hall = boxoffice.Hall{ID: "grand"}
	useFake(t, &fakeStore{programme: p})
	db := filepath.Join(t.TempDir(), "b.db")
	if err := os.WriteFile(db, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err := run(t, "", "programme", "export", "--db", db, "--timezone", "America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	back, err := boxoffice.ParseProgramme(strings.NewReader(out))
	if err != nil {
		t.Fatalf("export wrote what import refuses: %v\n%s", err, out)
	}
	if len(back.Shows) != 2 || !back.Shows[0].StartsAt.Equal(p.Shows[0].StartsAt) || back.Shows[1].Sales != boxoffice.SalesClosed {
		t.Errorf("export read back as %+v", back)
	}
	if !strings.Contains(out, `"starts_at": "2026-12-06T14:00:00-05:00"`) {
		t.Errorf("starts_at not in --timezone:\n%s", out)
	}
}

// Export reads a database; it does not make an empty one at a mistyped path.
func TestProgrammeExportNoDatabase(t *testing.T) {
	opened := useFake(t, &fakeStore{})
	db := filepath.Join(t.TempDir(), "typo.db")
	if _, _, err := run(t, "", "programme", "export", "--db", db); err == nil || *opened != 0 {
		t.Errorf("err = %v, opened %d times; want a refusal", err, *opened)
	}
}

func TestProgrammeUsage(t *testing.T) {
	for _, args := range [][]string{{"programme"}, {"programme", "delete"}, {"programme", "import"},
		{"programme", "import", "a.json", "b.json"}, {"programme", "export", "out.json"}} {
		if _, _, err := run(t, "", args...); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
	out, _, err := run(t, "", "help")
	if err != nil || !strings.Contains(out, "programme import FILE") || !strings.Contains(out, "programme export") {
		t.Errorf("boxoffice help does not list the programme commands (%v):\n%s", err, out)
	}
	out, _, err = run(t, "", "programme", "help")
	if err != nil || !strings.Contains(out, "--dry-run") && !strings.Contains(out, "-dry-run") {
		t.Errorf("boxoffice programme help (%v):\n%s", err, out)
	}
}

// While a server serves a SQLite database, import and migrate refuse and
// say why, a second server does not start, and export still reads. Once it
// has stopped, import goes ahead.
func TestServerLocksSQLite(t *testing.T) {
	f := &fakeStore{}
	opened := useFake(t, f)
	srv := startConfig(t, Config{}, nil)
	db := srv.cfg.DB
	_, _, err := run(t, twoShows, "programme", "import", "-", "--db", db)
	if err == nil || !strings.Contains(err.Error(), "server") || !strings.Contains(err.Error(), db) {
		t.Errorf("import beside a server: %v; want a refusal naming the server and %s", err, db)
	}
	if *opened != 0 {
		t.Error("import opened the database beside a server")
	}
	if _, _, err := run(t, "", "migrate", "--db", db); err == nil || !strings.Contains(err.Error(), "server") {
		t.Errorf("migrate beside a server: %v; want a refusal", err)
	}
	second, err := Start(t.Context(), Config{Addr: "127.0.0.1:0", DB: db, Location: time.UTC}, slog.New(slog.DiscardHandler))
	if err == nil {
		second.Shutdown()
		t.Error("a second server started on the same SQLite file")
	}
	if _, _, err := run(t, "", "programme", "export", "--db", db); err != nil || *opened != 1 {
		t.Errorf("export beside a server: %v, opened %d; want it to read", err, *opened)
	}

	if err := srv.Shutdown(); err != nil {
		t.Fatal(err)
	}
	if _, errOut, err := run(t, twoShows, "programme", "import", "-", "--db", db); err != nil || f.applied == nil {
		t.Errorf("import after the server stopped: %v %s", err, errOut)
	}
	if _, _, err := run(t, "", "migrate", "--db", db); err != nil {
		t.Errorf("migrate after the server stopped: %v", err)
	}
}

// The real thing on SQLite: import into a fresh database, the same again
// changes nothing, export gives it back, and importing the export is a
// no-op. (Needs the stores' programme methods.)
func TestProgrammeImportExportSQLite(t *testing.T) {
	db := filepath.Join(t.TempDir(), "b.db")
	out, errOut, err := run(t, twoShows[:strings.Index(twoShows, `,
    {"id": "heat"`)]+"]}", "programme", "import", "-", "--db", db)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, errOut)
	}
	if want := "added hall:studio\nadded show:dune\n"; out != want {
		t.Errorf("import printed:\n%s\nwant:\n%s", out, want)
	}
	exported, errOut, err := run(t, "", "programme", "export", "--db", db, "--timezone", "Europe/Paris")
	if err != nil {
		t.Fatalf("export: %v\n%s", err, errOut)
	}
	if !strings.Contains(exported, `"starts_at": "2026-12-06T20:00:00+01:00"`) || !strings.Contains(exported, `"max_seats_per_guest": 6`) {
		t.Errorf("export:\n%s", exported)
	}
	out, errOut, err = run(t, exported, "programme", "import", "-", "--db", db)
	if err != nil {
		t.Fatalf("import of the export: %v\n%s", err, errOut)
	}
	if want := "unchanged hall:studio\nunchanged show:dune\n"; out != want {
		t.Errorf("importing the export printed:\n%s\nwant:\n%s", out, want)
	}
	again, _, err := run(t, "", "programme", "export", "--db", db, "--timezone", "Europe/Paris")
	if err != nil || again != exported {
		t.Errorf("export after import of the export differs (%v):\n%s\nwas:\n%s", err, again, exported)
	}
}
