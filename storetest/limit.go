package storetest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"

	"boxoffice"
)

// bookCapped books seats for g under a cap and returns the store's answer.
func (f *fixture) bookCapped(show boxoffice.ShowID, g boxoffice.Guest, maxHeld int, ids ...string) (boxoffice.Change, error) {
	f.t.Helper()
	return f.store.Book(f.ctx, show, seats(ids...), g, "", maxHeld)
}

// wantSeatLimit fails the test unless err is a seat-limit refusal naming
// exactly ids, in that order, with the cap and the seats held.
func wantSeatLimit(t *testing.T, err error, what string, limit, held int, ids ...string) {
	t.Helper()
	var e *boxoffice.Error
	if !errors.Is(err, boxoffice.ErrSeatLimit) || !errors.As(err, &e) {
		t.Errorf("%s: error %v, want %s", what, err, boxoffice.ESEATLIMIT)
		return
	}
	if !slices.Equal(e.Seats, seats(ids...)) || e.Limit != limit || e.Held != held {
		t.Errorf("%s: seat limit names seats %v, limit %d, held %d; want %v (in request order), %d, %d",
			what, e.Seats, e.Limit, e.Held, ids, limit, held)
	}
	if want := fmt.Sprintf("You can hold at most %d seats for this show.", limit); e.Detail != want {
		t.Errorf("%s: detail %q, want %q", what, e.Detail, want)
	}
}

// A booking that would leave the guest holding more seats of the show than
// the cap is refused whole, naming the seats it would have added in the
// order asked; seats the guest holds already do not count.
func testSeatLimit(t *testing.T, f *fixture) {
	f.book(evening, alice, "A1", "A2")
	before := f.state(evening)
	_, err := f.bookCapped(evening, alice, 3, "B4", "A1", "B3")
	wantSeatLimit(t, err, "2 held + B4, B3 against a cap of 3", 3, 2, "B4", "B3")
	f.unchanged(evening, before, "a refused booking over the cap")

	c, err := f.bookCapped(evening, alice, 3, "A1", "A2", "A3")
	if err != nil {
		t.Fatalf("A1, A2 held + A3 against a cap of 3 = %v, want a success", err)
	}
	wantChange(t, c, evening, 2, t0, alice, alice, "A3")

	// At the cap, booking held seats again is still a success, changing
	// nothing.
	c, err = f.bookCapped(evening, alice, 3, "A3", "A1")
	if err != nil {
		t.Fatalf("booking held seats again at the cap = %v, want a success", err)
	}
	wantNoOp(t, c, evening, 2)

	before = f.state(evening)
	_, err = f.bookCapped(evening, alice, 3, "A2", "C4")
	wantSeatLimit(t, err, "a held seat and a new one at the cap", 3, 3, "C4")
	f.unchanged(evening, before, "a refused booking at the cap")

	// The cap is per guest and per show.
	if _, err := f.bookCapped(evening, bob, 3, "C1", "C2", "C3"); err != nil {
		t.Errorf("bob's first seats = %v, want a success", err)
	}
	if _, err := f.bookCapped(gala, alice, 3, "A1", "A2", "A3"); err != nil {
		t.Errorf("alice's first seats of another show = %v, want a success", err)
	}
	// No cap, no limit.
	if _, err := f.bookCapped(evening, alice, 0, "B1", "B2"); err != nil {
		t.Errorf("booking without a cap = %v, want a success", err)
	}
}

// The store's checks come in a fixed order: closed, unknown seats, taken,
// then the seat limit.
func testSeatLimitOrder(t *testing.T, f *fixture) {
	f.book(evening, alice, "A1", "A2")
	f.book(evening, bob, "C1")
	for _, c := range []struct {
		show   boxoffice.ShowID
		ids    []string
		target *boxoffice.Error
		named  []string
	}{
		{started, []string{"A3", "A4"}, boxoffice.ErrClosed, nil},
		{evening, []string{"A3", "Z9"}, boxoffice.ErrNotFound, []string{"Z9"}},
		{evening, []string{"A3", "C1"}, boxoffice.ErrTaken, []string{"C1"}},
		{evening, []string{"A3", "A4"}, boxoffice.ErrSeatLimit, []string{"A3", "A4"}},
	} {
		before := f.state(evening)
		_, err := f.bookCapped(c.show, alice, 2, c.ids...)
		wantError(t, err, c.target, fmt.Sprintf("Book(%s, %v) with 2 held against a cap of 2", c.show, c.ids), c.named...)
		f.unchanged(evening, before, "a refused booking")
	}
}

// Lowering the cap takes no seat away: a guest over it keeps the seats,
// may book them again and release them, and books new ones only once under.
func testSeatLimitLowered(t *testing.T, f *fixture) {
	f.book(evening, alice, "A1", "A2", "A3", "A4")
	if _, err := f.bookCapped(evening, alice, 2, "A1", "A4"); err != nil {
		t.Errorf("booking held seats again over a lowered cap = %v, want a success", err)
	}
	_, err := f.bookCapped(evening, alice, 2, "B1")
	wantSeatLimit(t, err, "a new seat while over a lowered cap", 2, 4, "B1")
	f.release(evening, alice, "A1", "A2")
	_, err = f.bookCapped(evening, alice, 2, "B1")
	wantSeatLimit(t, err, "a new seat at a lowered cap", 2, 2, "B1")
	f.release(evening, alice, "A3")
	if _, err := f.bookCapped(evening, alice, 2, "B1"); err != nil {
		t.Errorf("a new seat under a lowered cap = %v, want a success", err)
	}
	want := map[boxoffice.SeatID]boxoffice.Guest{"A4": alice, "B1": alice}
	if got := f.state(evening).Holders; !maps.Equal(got, want) {
		t.Errorf("holders %s, want %s", holdersString(got), holdersString(want))
	}
}

// The cap is checked in the booking's own transaction: many single-seat
// bookings of one guest at once, against a cap of 4, give exactly 4 seats,
// never 5, whichever batches or transactions they land in.
func testSeatLimitConcurrent(t *testing.T, f *fixture) {
	const n, limit = 50, 4
	hall := f.prog.Shows[2].Hall.Layout.Seats // gala's
	var (
		start   = make(chan struct{})
		wg      sync.WaitGroup
		mu      sync.Mutex
		changed []boxoffice.SeatID
		again   []boxoffice.SeatID // successes that changed nothing
		refused int
	)
	for i := range n {
		seat := hall[i%len(hall)].ID
		wg.Go(func() {
			<-start
			c, err := f.store.Book(f.ctx, gala, []boxoffice.SeatID{seat}, alice, "", limit)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil && len(c.Seats) > 0:
				changed = append(changed, seat)
			case err == nil:
				again = append(again, seat)
			case errors.Is(err, boxoffice.ErrSeatLimit):
				refused++
			default:
				t.Errorf("Book(%s) = %v, want a success or the seat limit", seat, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if len(changed) != limit {
		t.Fatalf("%d concurrent bookings of one guest against a cap of %d booked %d seats (%v), want exactly %d",
			n, limit, len(changed), changed, limit)
	}
	for _, seat := range again {
		if !slices.Contains(changed, seat) {
			t.Errorf("Book(%s) succeeded without booking it, though the guest does not hold it", seat)
		}
	}
	if refused+len(changed)+len(again) != n {
		t.Errorf("%d refused, %d booked, %d booked again; want %d answers", refused, len(changed), len(again), n)
	}
	held := f.state(gala).Holders
	if len(held) != limit {
		t.Errorf("the guest holds %s, want %d seats", holdersString(held), limit)
	}
}
