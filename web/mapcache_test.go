package web_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"boxoffice"
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
