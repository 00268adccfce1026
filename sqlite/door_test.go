package sqlite

import (
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"boxoffice"
)

// An operator's release wakes the show's watchers like a guest's: one
// OnCommit per release that freed seats, none for one that freed nothing.
func TestOperatorReleaseOnCommit(t *testing.T) {
	var (
		mu    sync.Mutex
		pokes []int64
	)
	s := openTest(t, filepath.Join(t.TempDir(), "door.db"), Options{OnCommit: func(_ boxoffice.ShowID, v int64) {
		mu.Lock()
		defer mu.Unlock()
		pokes = append(pokes, v)
	}})
	p := seedDemo(t, s, time.Now())
	show, ctx := p.Shows[0].ID, t.Context()
	alice, bob := boxoffice.GuestFromToken("alice"), boxoffice.GuestFromToken("bob")
	if _, err := s.Book(ctx, show, []boxoffice.SeatID{"A3", "A4"}, alice, "", 0); err != nil { // v1
		t.Fatal(err)
	}
	if _, err := s.Book(ctx, show, []boxoffice.SeatID{"A5"}, bob, "", 0); err != nil { // v2
		t.Fatal(err)
	}
	for _, release := range []func() (boxoffice.Change, error){
		func() (boxoffice.Change, error) { return s.ReleaseSeats(ctx, show, []boxoffice.SeatID{"A3", "A5"}) }, // v3
		func() (boxoffice.Change, error) { return s.ReleaseSeats(ctx, show, []boxoffice.SeatID{"A3"}) },       // no-op
		func() (boxoffice.Change, error) { return s.ReleaseGuest(ctx, show, alice) },                          // v4
		func() (boxoffice.Change, error) { return s.ReleaseGuest(ctx, show, alice) },                          // no-op
	} {
		if _, err := release(); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []int64{1, 2, 3, 4}; !slices.Equal(pokes, want) {
		t.Errorf("OnCommit versions = %v, want %v", pokes, want)
	}
}
