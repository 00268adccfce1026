package web_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"sync"
	"testing"

	"boxoffice"
	"boxoffice/sqlite"
	"boxoffice/web"
)

// The seat map is rendered once per version and patched as changes come, so
// check it against the store after every step of a random run: every guest
// sees each seat as the store holds it, "mine" for their own, and the
// version and seats_left of the store.
func TestSeatMapFollowsTheStore(t *testing.T) {
	e := newEnv(t, testLayout)
	guests := []*guest{e.guest(), e.guest(), e.guest()}
	ids := []string{"A1", "A2", "A3", "B1", "B5", "C3"}
	rng := rand.New(rand.NewPCG(1, 2))
	for step := range 60 {
		g := guests[rng.IntN(len(guests))]
		seat := ids[rng.IntN(len(ids))]
		if rng.IntN(2) == 0 {
			g.book(openShow, seat)
		} else {
			g.release(openShow, seat)
		}
		m, err := e.store.SeatMap(context.Background(), openShow)
		if err != nil {
			t.Fatal(err)
		}
		for gi, v := range guests {
			r := v.do("GET", "/api/shows/"+openShow, "", "")
			body := r.json(t)
			if body["version"] != float64(m.Version) || body["seats_left"] != float64(len(m.Show.Hall.Layout.Seats)-len(m.Holders)) {
				t.Fatalf("step %d, guest %d: version %v, seats_left %v; the store is at version %d with %d held",
					step, gi, body["version"], body["seats_left"], m.Version, len(m.Holders))
			}
			got := v.statuses(openShow)
			for _, seat := range m.Show.Hall.Layout.Seats {
				holder := m.Holders[seat.ID]
				want := string(boxoffice.StatusFor(holder, ""))
				if got[string(seat.ID)] == "mine" && holder != "" {
					want = "mine" // whose it is, the check below tells
				}
				if got[string(seat.ID)] != want {
					t.Fatalf("step %d, guest %d: %s is %s, want %s", step, gi, seat.ID, got[string(seat.ID)], want)
				}
			}
		}
		// Each held seat is "mine" for exactly one guest.
		for seat := range m.Holders {
			n := 0
			for _, v := range guests {
				if v.statuses(openShow)[string(seat)] == "mine" {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("step %d: %d guests see %s as theirs, want 1", step, n, seat)
			}
		}
	}
}

// countingStore counts the changes read back from the change log, and whole
// seat maps read.
type countingStore struct {
	boxoffice.Store
	mu      sync.Mutex
	changes int
	maps    int
}

func (s *countingStore) ChangesSince(ctx context.Context, show boxoffice.ShowID, after int64, limit int) ([]boxoffice.Change, error) {
	list, err := s.Store.ChangesSince(ctx, show, after, limit)
	s.mu.Lock()
	s.changes += len(list)
	s.mu.Unlock()
	return list, err
}

func (s *countingStore) SeatMap(ctx context.Context, id boxoffice.ShowID) (boxoffice.SeatMap, error) {
	s.mu.Lock()
	s.maps++
	s.mu.Unlock()
	return s.Store.SeatMap(ctx, id)
}

// Each committed change is read back from the database once per process:
// the hub's feed reads it, and the seat-map cache and the event streams
// follow the feed. Guests reading the map at once after a booking share
// that read, and each booker sees the booking at once.
func TestEachChangeIsReadOnce(t *testing.T) {
	var counted *countingStore
	e := newEnvWith(t, testLayout, func(c *web.Config) {
		counted = &countingStore{Store: c.Store}
		c.Store = counted
	}, (*httptest.Server).Start)
	guests := []*guest{e.guest(), e.guest(), e.guest(), e.guest()}
	stream := guests[0].events(openShow, "")
	stream.next() // the snapshot, which loaded the map
	seats := []string{"A1", "A2", "A3", "B1", "B2", "B3", "C3", "C4"}
	for i, seat := range seats {
		booker := guests[i%len(guests)]
		if r := booker.book(openShow, seat); r.status != 200 {
			t.Fatalf("book %s: %d %s", seat, r.status, r.body)
		}
		if got := booker.statuses(openShow)[seat]; got != "mine" {
			t.Fatalf("right after booking %s its booker sees it %s", seat, got)
		}
		var wg sync.WaitGroup
		for _, g := range guests {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if got := g.statuses(openShow)[seat]; got != "mine" && got != "booked" {
					t.Errorf("after %s was booked a guest sees it %s", seat, got)
				}
			}()
		}
		wg.Wait()
		if ev := stream.next(); ev.id != fmt.Sprint(i+1) {
			t.Fatalf("the stream sent version %s, want %d", ev.id, i+1)
		}
	}
	counted.mu.Lock()
	defer counted.mu.Unlock()
	if counted.changes != len(seats) || counted.maps != 1 {
		t.Errorf("%d changes and %d seat maps read from the store; want each of the %d changes once, and the map once",
			counted.changes, counted.maps, len(seats))
	}
}

// While the hub cannot vouch for hearing every commit (on PostgreSQL: its
// listener reconnecting), the seat map is checked against the store on each
// request, so a commit that no news reached is shown; once hearing resumes
// the cache is trusted again. Another writer on the same file stands in for
// another instance whose NOTIFY is lost.
func TestSeatMapReadsTheStoreWhileTheHubCannotVouch(t *testing.T) {
	e := newEnv(t, testLayout)
	g := e.guest()
	if got := g.statuses(openShow)["A1"]; got != "free" {
		t.Fatalf("A1 is %s before anyone booked it", got)
	}
	other, err := sqlite.Open(context.Background(), e.dbPath, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	book := func(seat boxoffice.SeatID) {
		t.Helper()
		if _, err := other.Book(context.Background(), openShow, []boxoffice.SeatID{seat}, "elsewhere", "", 0); err != nil {
			t.Fatal(err)
		}
	}

	e.hub.Lost()
	book("A1")
	if got := g.statuses(openShow)["A1"]; got != "booked" {
		t.Errorf("while the hub could not vouch, a booking it never heard of shows A1 %s, want booked", got)
	}
	if got := g.do("GET", "/api/shows/"+openShow+"/seats/A2", "", "").json(t)["version"]; got != float64(1) {
		t.Errorf("one seat's answer has version %v, want 1", got)
	}
	e.hub.Resync()
	book("A2")
	// Unheard again, but the hub vouches now: the map holds until news
	// comes. It then comes by a poke, as a NOTIFY would bring it.
	e.hub.Committed(openShow, 2)
	if got := g.statuses(openShow)["A2"]; got != "booked" {
		t.Errorf("after the news of version 2, A2 shows %s, want booked", got)
	}
}
