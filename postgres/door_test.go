package postgres

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"boxoffice"
	"boxoffice/postgres/pgtest"
)

// An operator's releases on one instance reach the watchers of another
// (through NOTIFY) as the changes they are, and this instance's own hub
// hears of them (OnCommit) before they are answered.
func TestOperatorReleasesReachOtherInstance(t *testing.T) {
	url := pgtest.Database(t)
	var (
		mu    sync.Mutex
		pokes []int64
	)
	writer := openTest(t, url, Options{OnCommit: func(_ boxoffice.ShowID, v int64) {
		mu.Lock()
		defer mu.Unlock()
		pokes = append(pokes, v)
	}})
	reader := openTest(t, url, Options{})
	show := seedDemo(t, writer)

	sub, _ := watchListening(t, reader, show.ID, 64)

	alice, bob := boxoffice.GuestFromToken("alice"), boxoffice.GuestFromToken("bob")
	want := []string{"A1+ A2+", "B1+", "A2- B1-", "A1-"}
	steps := []func() (boxoffice.Change, error){
		func() (boxoffice.Change, error) {
			return writer.Book(t.Context(), show.ID, []boxoffice.SeatID{"A1", "A2"}, alice, "", 0)
		},
		func() (boxoffice.Change, error) {
			return writer.Book(t.Context(), show.ID, []boxoffice.SeatID{"B1"}, bob, "", 0)
		},
		func() (boxoffice.Change, error) {
			return writer.ReleaseSeats(t.Context(), show.ID, []boxoffice.SeatID{"A2", "B1", "C1"})
		},
		func() (boxoffice.Change, error) { return writer.ReleaseGuest(t.Context(), show.ID, alice) },
	}
	for i, step := range steps {
		if c, err := step(); err != nil || c.Version != int64(i+1) {
			t.Fatalf("step %d = version %d, %v; want %d", i+1, c.Version, err, i+1)
		}
	}
	timeout := time.After(30 * time.Second)
	for i, w := range want {
		select {
		case e, ok := <-sub.C():
			if !ok {
				t.Fatalf("subscription closed: %v", sub.Err())
			}
			var got []string
			for _, sc := range e.Seats {
				mark := "+"
				if sc.Holder == "" {
					mark = "-"
				}
				got = append(got, string(sc.Seat)+mark)
			}
			slices.Sort(got)
			if e.Version != int64(i+1) || strings.Join(got, " ") != w {
				t.Errorf("watcher got version %d %q, want %d %q", e.Version, strings.Join(got, " "), i+1, w)
			}
		case <-timeout:
			t.Fatalf("the other instance's watcher has %d of %d changes after 30s", i, len(want))
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if w := []int64{1, 2, 3, 4}; !slices.Equal(pokes, w) {
		t.Errorf("OnCommit versions = %v, want %v", pokes, w)
	}
}
