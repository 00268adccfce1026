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
