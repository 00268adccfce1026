package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"boxoffice"
	"boxoffice/demo"
	"boxoffice/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, newTestStore)
}

func TestLog(t *testing.T) {
	storetest.RunLog(t, newTestStore, rawLog)
}

func newTestStore(t *testing.T, opts storetest.Options) boxoffice.Store {
	return openTest(t, filepath.Join(t.TempDir(), "boxoffice.db"), Options{Now: opts.Now, KeepVersions: opts.KeepVersions})
}

// rawLog reads the show's change rows as stored: the compacted ones, at
// most one per seat, then the whole ones.
func rawLog(ctx context.Context, store boxoffice.Store, show boxoffice.ShowID) ([]boxoffice.Change, error) {
	rows, err := store.(*Store).reader.QueryContext(ctx, `
		SELECT version, 0 AS seq, seat_id, coalesce(holder, '') FROM compacted_changes WHERE show_id = ?1
		UNION ALL
		SELECT version, seq, seat_id, coalesce(holder, '') FROM changes WHERE show_id = ?1
		ORDER BY version, seq`, show)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var log []boxoffice.Change
	for rows.Next() {
		var (
			v  int64
			sc boxoffice.SeatChange
		)
		var seq int
		if err := rows.Scan(&v, &seq, &sc.Seat, &sc.Holder); err != nil {
			return nil, err
		}
		if n := len(log); n == 0 || log[n-1].Version != v {
			log = append(log, boxoffice.Change{Show: show, Version: v})
		}
		log[len(log)-1].Seats = append(log[len(log)-1].Seats, sc)
	}
	return log, rows.Err()
}

// openTest opens a store that the test closes when it ends.
func openTest(t testing.TB, path string, opts Options) *Store {
	t.Helper()
	s, err := Open(t.Context(), path, opts)
	if err != nil {
		t.Fatalf("Open(%s) = %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close = %v", err)
		}
	})
	return s
}

// seedDemo seeds the demo programme, its shows a few days after now.
func seedDemo(t testing.TB, s *Store, now time.Time) boxoffice.Programme {
	t.Helper()
	p, err := demo.Programme(now, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Seed(t.Context(), p); err != nil || !ok {
		t.Fatalf("Seed = %v, %v", ok, err)
	}
	return p
}

// The pragmas come from the DSN, so every pooled connection has them, not
// just whichever one happened to run a PRAGMA statement.
func TestPragmasOnEveryConnection(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "pragmas.db"), Options{})
	ctx := t.Context()
	for name, pool := range map[string]*sql.DB{"writer": s.writer, "reader": s.reader} {
		n := pool.Stats().MaxOpenConnections
		if name == "writer" && n != 1 {
			t.Errorf("writer pool allows %d connections, want 1", n)
		}
		if name == "reader" && n < 4 {
			t.Errorf("reader pool allows %d connections, want at least 4", n)
		}
		// Hold n connections at once so each is a different one.
		var conns []*sql.Conn
		for range n {
			c, err := pool.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
		}
		for i, c := range conns {
			var journal string
			var sync, fk, busy, queryOnly int
			for pragma, dst := range map[string]any{
				"journal_mode": &journal, "synchronous": &sync, "foreign_keys": &fk,
				"busy_timeout": &busy, "query_only": &queryOnly,
			} {
				if err := c.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(dst); err != nil {
					t.Fatalf("%s connection %d: PRAGMA %s: %v", name, i, pragma, err)
				}
			}
			wantQueryOnly := 0
			if name == "reader" {
				wantQueryOnly = 1
			}
			if journal != "wal" || sync != 2 || fk != 1 || busy != 5000 || queryOnly != wantQueryOnly {
				t.Errorf("%s connection %d: journal_mode=%s synchronous=%d foreign_keys=%d busy_timeout=%d query_only=%d; "+
					"want wal 2 1 5000 %d", name, i, journal, sync, fk, busy, queryOnly, wantQueryOnly)
			}
		}
		for _, c := range conns {
			c.Close()
		}
	}
	if _, err := s.reader.ExecContext(ctx, `DELETE FROM bookings`); err == nil {
		t.Error("a reader connection could write")
	}
}

// An acknowledged booking is in the file: closing and reopening finds it,
// and reopening applies no migration twice.
func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reopen.db")
	now := time.Now()
	s, err := Open(t.Context(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := seedDemo(t, s, now)
	show := p.Shows[0].ID
	g := boxoffice.GuestFromToken("reopen")
	c, err := s.Book(t.Context(), show, []boxoffice.SeatID{"A3", "B4"}, g, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openTest(t, path, Options{})
	m, err := s.SeatMap(t.Context(), show)
	if err != nil {
		t.Fatal(err)
	}
	if m.Version != c.Version || len(m.Holders) != 2 || m.Holders["A3"] != g || m.Holders["B4"] != g {
		t.Errorf("after reopening: version %d, holders %v; want %d, A3 and B4 held", m.Version, m.Holders, c.Version)
	}
	if ok, err := s.Seed(t.Context(), p); ok || err != nil {
		t.Errorf("Seed after reopening = %v, %v; want false, nil", ok, err)
	}
	var applied []string
	rows, err := s.reader.QueryContext(t.Context(), `SELECT name FROM schema_migrations ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		rows.Scan(&name)
		applied = append(applied, name)
	}
	if len(applied) == 0 || applied[0] != "0001_init.sql" || len(slices.Compact(slices.Clone(applied))) != len(applied) {
		t.Errorf("schema_migrations = %v, want each migration once, 0001_init.sql first", applied)
	}
}

func TestOpenRejectsMemory(t *testing.T) {
	for _, path := range []string{"", ":memory:", "x.db?mode=memory"} {
		if s, err := Open(t.Context(), path, Options{}); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", path)
		}
	}
}

// OnCommit hears of every commit that changed seats, once, with its version,
// and of nothing else.
func TestOnCommit(t *testing.T) {
	type poke struct {
		show    boxoffice.ShowID
		version int64
	}
	var mu sync.Mutex
	var pokes []poke
	s := openTest(t, filepath.Join(t.TempDir(), "oncommit.db"), Options{OnCommit: func(show boxoffice.ShowID, v int64) {
		mu.Lock()
		defer mu.Unlock()
		pokes = append(pokes, poke{show, v})
	}})
	p := seedDemo(t, s, time.Now())
	show, ctx := p.Shows[0].ID, t.Context()
	alice, bob := boxoffice.GuestFromToken("alice"), boxoffice.GuestFromToken("bob")

	mustOK := func(_ boxoffice.Change, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	mustOK(s.Book(ctx, show, []boxoffice.SeatID{"A3", "A4"}, alice, "", 0)) // v1
	mustOK(s.Book(ctx, show, []boxoffice.SeatID{"A3"}, alice, "", 0))       // no-op
	mustOK(s.Release(ctx, show, []boxoffice.SeatID{"C5"}, alice))           // no-op
	if _, err := s.Book(ctx, show, []boxoffice.SeatID{"A4"}, bob, "", 0); !errors.Is(err, boxoffice.ErrTaken) {
		t.Fatalf("Book of a taken seat = %v", err)
	}
	mustOK(s.Release(ctx, show, []boxoffice.SeatID{"A4"}, alice)) // v2

	mu.Lock()
	defer mu.Unlock()
	if want := []poke{{show, 1}, {show, 2}}; !slices.Equal(pokes, want) {
		t.Errorf("OnCommit calls = %v, want %v", pokes, want)
	}
}

// Times survive the round trip as instants, whatever their zone.
func TestStartsAtKeepsTheInstant(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "zone.db"), Options{})
	loc := time.FixedZone("UTC-7", -7*3600)
	p, err := demo.Programme(time.Now(), loc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Seed(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	for _, want := range p.Shows {
		got, err := s.Show(t.Context(), want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.StartsAt.Equal(want.StartsAt) {
			t.Errorf("%s starts at %v, want %v", want.ID, got.StartsAt, want.StartsAt)
		}
	}
}

func TestSeedRejectsUnreadableProgrammes(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "seed.db"), Options{})
	layout, err := boxoffice.ParseLayout("A ss")
	if err != nil {
		t.Fatal(err)
	}
	hall := boxoffice.Hall{ID: "h", Name: "H", Layout: layout}
	for name, p := range map[string]boxoffice.Programme{
		"no halls":        {},
		"hand-made hall":  {Halls: []boxoffice.Hall{{ID: "h", Name: "H", Layout: boxoffice.Layout{Seats: layout.Seats}}}},
		"show lacks hall": {Halls: []boxoffice.Hall{hall}, Shows: []boxoffice.Show{{ID: "s", Title: "S", StartsAt: time.Now(), Hall: boxoffice.Hall{ID: "other"}}}},
	} {
		if ok, err := s.Seed(t.Context(), p); ok || !errors.Is(err, boxoffice.ErrProgramme) {
			t.Errorf("%s: Seed = %v, %v; want false, invalid programme", name, ok, err)
		}
	}
	if ok, err := s.Seed(t.Context(), boxoffice.Programme{Halls: []boxoffice.Hall{hall}}); !ok || err != nil {
		t.Errorf("Seed after refused programmes = %v, %v; want true, nil", ok, err)
	}
}

func BenchmarkBook(b *testing.B) {
	s := openTest(b, filepath.Join(b.TempDir(), "bench.db"), Options{})
	show := seedDemo(b, s, time.Now()).Shows[0].ID
	g, seat := boxoffice.GuestFromToken("bench"), []boxoffice.SeatID{"D7"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Book(ctx, show, seat, g, "", 0); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Release(ctx, show, seat, g); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSeatMap(b *testing.B) {
	s := openTest(b, filepath.Join(b.TempDir(), "bench.db"), Options{})
	p := seedDemo(b, s, time.Now())
	show, ctx := p.Shows[0].ID, context.Background()
	// A half-full hall: every other seat, booked in batches.
	all := p.Shows[0].Hall.Layout.Seats
	for i := 0; i < len(all); i += 2 * boxoffice.MaxSeatsPerRequest {
		var ids []boxoffice.SeatID
		for j := i; j < min(i+2*boxoffice.MaxSeatsPerRequest, len(all)); j += 2 {
			ids = append(ids, all[j].ID)
		}
		if _, err := s.Book(ctx, show, ids, boxoffice.GuestFromToken(fmt.Sprint(i)), "", 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.SeatMap(ctx, show); err != nil {
				b.Fatal(err)
			}
		}
	})
}
