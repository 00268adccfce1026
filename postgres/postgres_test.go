package postgres

import (
	"testing"

	"boxoffice"
	"boxoffice/postgres/pgtest"
	"boxoffice/storetest"
)

func TestStore(t *testing.T) {
	pgtest.Server(t) // skip once here, not in every case
	storetest.Run(t, func(t *testing.T, opts storetest.Options) boxoffice.Store {
		return openTest(t, pgtest.Database(t), Options{Now: opts.Now})
	})
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
