package postgres

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"boxoffice"
	"boxoffice/postgres/pgtest"
	"boxoffice/storetest"
)

func TestStore(t *testing.T) {
	pgtest.Server(t) // skip once here, not in every case
	storetest.Run(t, newTestStore)
}

func TestLog(t *testing.T) {
	pgtest.Server(t)
	storetest.RunLog(t, newTestStore, rawLog)
}

func newTestStore(t *testing.T, opts storetest.Options) boxoffice.Store {
	return openTest(t, pgtest.Database(t), Options{Now: opts.Now, KeepVersions: opts.KeepVersions})
}

// rawLog reads the show's change rows as stored: the compacted ones, at
// most one per seat, then the whole ones.
func rawLog(ctx context.Context, store boxoffice.Store, show boxoffice.ShowID) ([]boxoffice.Change, error) {
	rows, _ := store.(*Store).pool.Query(ctx, `
		SELECT version, 0 AS seq, seat_id, coalesce(holder, '') FROM compacted_changes WHERE show_id = $1
		UNION ALL
		SELECT version, seq, seat_id, coalesce(holder, '') FROM changes WHERE show_id = $1
		ORDER BY version, seq`, show)
	var (
		log []boxoffice.Change
		v   int64
		seq int32
		sc  boxoffice.SeatChange
	)
	_, err := pgx.ForEachRow(rows, []any{&v, &seq, &sc.Seat, &sc.Holder}, func() error {
		if n := len(log); n == 0 || log[n-1].Version != v {
			log = append(log, boxoffice.Change{Show: show, Version: v})
		}
		log[len(log)-1].Seats = append(log[len(log)-1].Seats, sc)
		return nil
	})
	return log, err
}

// openTest opens a store that the test closes when it ends.
func openTest(t testing.TB, url string, opts Options) *Store {
	t.Helper()
	s, err := Open(t.Context(), url, opts)
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// A --db value selects PostgreSQL only as a URL with one of its two
// schemes; anything else, however named, is a SQLite file.
func TestIsURL(t *testing.T) {
	for db, want := range map[string]bool{
		"postgres://app:pw@db:5432/box?sslmode=disable": true,
		"postgresql://db/box":                           true,
		"boxoffice.db":                                  false,
		"postgres.db":                                   false,
		"data/postgres://x":                             false,
		"sqlite":                                        false,
		"":                                              false,
	} {
		if got := IsURL(db); got != want {
			t.Errorf("IsURL(%q) = %v, want %v", db, got, want)
		}
	}
}
