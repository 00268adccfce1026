package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"boxoffice"
)

// The door list and the operator's releases (Bookings, ReleaseSeats,
// ReleaseGuest).

// bookingsString renders a door list: "A2=alice@18:00:00 …".
func bookingsString(list []boxoffice.Booking) string {
	parts := make([]string, len(list))
	for i, b := range list {
		parts[i] = fmt.Sprintf("%s=%s@%s", b.Seat, who(b.Guest), b.BookedAt.UTC().Format(time.TimeOnly))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// The door list has every held seat with its holder and the time it was
// booked, in the hall's order (A2 before A10, row A before row B), whatever
// the order of booking.
func testDoorList(t *testing.T, f *fixture) {
	if list, err := f.store.Bookings(f.ctx, gala); err != nil || len(list) != 0 {
		t.Errorf("Bookings of a show without bookings = %s, %v; want none", bookingsString(list), err)
	}
	f.book(gala, alice, "A10", "A2")
	f.clock.Set(t0.Add(time.Minute))
	f.book(gala, bob, "B1")
	f.clock.Set(t0.Add(2 * time.Minute))
	f.book(gala, carol, "A11")
	f.book(matinee, carol, "A1") // another show's: not on this list

	list, err := f.store.Bookings(f.ctx, gala)
	if err != nil {
		t.Fatalf("Bookings = %v", err)
	}
	want := []boxoffice.Booking{
		{Seat: "A2", Guest: alice, BookedAt: t0},
		{Seat: "A10", Guest: alice, BookedAt: t0},
		{Seat: "A11", Guest: carol, BookedAt: t0.Add(2 * time.Minute)},
		{Seat: "B1", Guest: bob, BookedAt: t0.Add(time.Minute)},
	}
	if got, w := bookingsString(list), bookingsString(want); got != w {
		t.Errorf("door list\n got %s\nwant %s", got, w)
	}
	for i := range min(len(list), len(want)) {
		if !list[i].BookedAt.Equal(want[i].BookedAt) {
			t.Errorf("%s booked at %v, want %v", list[i].Seat, list[i].BookedAt, want[i].BookedAt)
		}
	}

	_, err = f.store.Bookings(f.ctx, "no-such-show")
	wantError(t, err, boxoffice.ErrNotFound, "Bookings of an unknown show")
	if _, err := f.store.CancelShow(f.ctx, evening, false); err != nil {
		t.Fatal(err)
	}
	if list, err := f.store.Bookings(f.ctx, evening); err != nil || len(list) != 0 {
		t.Errorf("Bookings of a cancelled show = %s, %v; want an empty list", bookingsString(list), err)
	}
}

// ReleaseSeats frees seats of several guests in one change, logged as one
// change with each seat by its former holder; free seats stay out of it, and
// other seats stay held.
func testReleaseSeats(t *testing.T, f *fixture) {
	f.book(gala, alice, "A1", "A2")
	f.book(gala, bob, "A3")
	f.book(gala, carol, "B1")
	before := f.state(gala)
	f.clock.Set(t0.Add(time.Minute))

	c, err := f.store.ReleaseSeats(f.ctx, gala, seats("A2", "A3", "A4", "A2"))
	if err != nil {
		t.Fatalf("ReleaseSeats = %v", err)
	}
	want := boxoffice.Change{Show: gala, Version: before.Version + 1, At: t0.Add(time.Minute), Seats: []boxoffice.SeatChange{
		{Seat: "A2", By: alice}, {Seat: "A3", By: bob},
	}}
	if got, w := changeString(c), changeString(want); got != w {
		t.Errorf("ReleaseSeats change\n got %s\nwant %s", got, w)
	}
	log, err := f.store.ChangesSince(f.ctx, gala, before.Version, allChanges)
	if err != nil {
		t.Fatal(err)
	}
	if got, w := changeStrings(log), []string{changeString(want)}; !slices.Equal(got, w) {
		t.Errorf("log after ReleaseSeats = %q, want the one change %q", got, w)
	}
	after := f.state(gala)
	if got, w := holdersString(after.Holders), "[A1=alice B1=carol]"; got != w {
		t.Errorf("holders after ReleaseSeats = %s, want %s", got, w)
	}

	// Only free seats: nothing changes, the current version comes back.
	c, err = f.store.ReleaseSeats(f.ctx, gala, seats("A2", "A5"))
	if err != nil {
		t.Fatalf("ReleaseSeats of free seats = %v", err)
	}
	wantNoOp(t, c, gala, after.Version)
	f.unchanged(gala, after, "ReleaseSeats of free seats")
}

// An operator's list is bounded by the hall, not by MaxSeatsPerRequest:
// every seat of a hall bigger than that goes in one change.
func testReleaseWholeHall(t *testing.T, f *fixture) {
	sh, err := f.store.Show(f.ctx, gala)
	if err != nil {
		t.Fatal(err)
	}
	all := sh.Hall.Layout.Seats
	if len(all) <= boxoffice.MaxSeatsPerRequest {
		t.Fatalf("the gala's hall has %d seats; the test needs more than %d", len(all), boxoffice.MaxSeatsPerRequest)
	}
	var ids []boxoffice.SeatID
	for i, s := range all {
		g := []boxoffice.Guest{alice, bob, carol}[i%3]
		if _, err := f.store.Book(f.ctx, gala, []boxoffice.SeatID{s.ID}, g, "", 0); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, s.ID)
	}
	before := f.state(gala)
	_, err = f.store.ReleaseSeats(f.ctx, gala, append(slices.Clone(ids), "Z1"))
	wantError(t, err, boxoffice.ErrInvalid, "ReleaseSeats of more seats than the hall has")
	f.unchanged(gala, before, "refused ReleaseSeats")

	c, err := f.store.ReleaseSeats(f.ctx, gala, ids)
	if err != nil {
		t.Fatalf("ReleaseSeats of the whole hall (%d seats) = %v", len(ids), err)
	}
	if c.Version != before.Version+1 || len(c.Seats) != len(ids) {
		t.Errorf("ReleaseSeats of the whole hall: version %d, %d seats; want %d, %d", c.Version, len(c.Seats), before.Version+1, len(ids))
	}
	if after := f.state(gala); len(after.Holders) != 0 {
		t.Errorf("after releasing the whole hall, held: %s", holdersString(after.Holders))
	}
}

// Refusals change nothing: unknown seats (named), no seats, no show, a
// cancelled show.
func testReleaseSeatsRefused(t *testing.T, f *fixture) {
	f.book(gala, alice, "A1")
	before := f.state(gala)
	_, err := f.store.ReleaseSeats(f.ctx, gala, seats("A1", "Z9", "A99"))
	wantError(t, err, boxoffice.ErrNotFound, "ReleaseSeats of unknown seats", "Z9", "A99")
	_, err = f.store.ReleaseSeats(f.ctx, gala, nil)
	wantError(t, err, boxoffice.ErrInvalid, "ReleaseSeats of no seats")
	f.unchanged(gala, before, "refused ReleaseSeats")
	_, err = f.store.ReleaseSeats(f.ctx, "no-such-show", seats("A1"))
	wantError(t, err, boxoffice.ErrNotFound, "ReleaseSeats of an unknown show")
	_, err = f.store.ReleaseGuest(f.ctx, "no-such-show", alice)
	wantError(t, err, boxoffice.ErrNotFound, "ReleaseGuest of an unknown show")

	if _, err := f.store.CancelShow(f.ctx, evening, false); err != nil {
		t.Fatal(err)
	}
	cancelled := f.state(evening)
	_, err = f.store.ReleaseSeats(f.ctx, evening, seats("A1"))
	wantError(t, err, boxoffice.ErrCancelled, "ReleaseSeats of a cancelled show")
	_, err = f.store.ReleaseGuest(f.ctx, evening, alice)
	wantError(t, err, boxoffice.ErrCancelled, "ReleaseGuest of a cancelled show")
	f.unchanged(evening, cancelled, "release on a cancelled show")
}

// Closed sales and a show that has started stop guests, not the operator.
func testReleaseAfterSales(t *testing.T, f *fixture) {
	f.book(matinee, alice, "A1")
	f.book(matinee, bob, "B1")
	f.book(evening, carol, "C1", "C2")

	f.clock.Set(t0.Add(time.Hour + time.Minute)) // the matinee has started
	_, err := f.store.Release(f.ctx, matinee, seats("A1"), alice)
	wantError(t, err, boxoffice.ErrClosed, "a guest's Release after the start")
	v := f.state(matinee).Version
	c, err := f.store.ReleaseSeats(f.ctx, matinee, seats("A1"))
	if err != nil {
		t.Fatalf("ReleaseSeats after the start = %v", err)
	}
	wantChange(t, c, matinee, v+1, t0.Add(time.Hour+time.Minute), "", alice, "A1")
	c, err = f.store.ReleaseGuest(f.ctx, matinee, bob)
	if err != nil {
		t.Fatalf("ReleaseGuest after the start = %v", err)
	}
	wantChange(t, c, matinee, v+2, t0.Add(time.Hour+time.Minute), "", bob, "B1")

	small := f.prog.Shows[0].Hall
	closed := boxoffice.Show{ID: evening, Title: "Evening Show", StartsAt: t0.Add(3 * time.Hour), Hall: small, Sales: boxoffice.SalesClosed}
	f.apply(boxoffice.Programme{Shows: []boxoffice.Show{closed}})
	v = f.state(evening).Version
	c, err = f.store.ReleaseGuest(f.ctx, evening, carol)
	if err != nil {
		t.Fatalf("ReleaseGuest with sales closed = %v", err)
	}
	wantChange(t, c, evening, v+1, t0.Add(time.Hour+time.Minute), "", carol, "C1", "C2")
}

// ReleaseGuest frees exactly that guest's seats, in one change in hall
// order; a guest holding none gets the current version and no seats.
func testReleaseGuest(t *testing.T, f *fixture) {
	f.book(gala, alice, "B2", "A10")
	f.book(gala, bob, "A3")
	f.book(gala, alice, "A2")
	f.book(matinee, alice, "A1") // another show's: kept
	before := f.state(gala)

	c, err := f.store.ReleaseGuest(f.ctx, gala, alice)
	if err != nil {
		t.Fatalf("ReleaseGuest = %v", err)
	}
	wantChange(t, c, gala, before.Version+1, t0, "", alice, "A2", "A10", "B2")
	var order []boxoffice.SeatID
	for _, sc := range c.Seats {
		order = append(order, sc.Seat)
	}
	if want := seats("A2", "A10", "B2"); !slices.Equal(order, want) {
		t.Errorf("ReleaseGuest's seats in the order %v, want hall order %v", order, want)
	}
	log, err := f.store.ChangesSince(f.ctx, gala, before.Version, allChanges)
	if err != nil {
		t.Fatal(err)
	}
	if got, w := changeStrings(log), []string{changeString(c)}; !slices.Equal(got, w) {
		t.Errorf("log after ReleaseGuest = %q, want %q", got, w)
	}
	after := f.state(gala)
	if got, w := holdersString(after.Holders), "[A3=bob]"; got != w {
		t.Errorf("holders after ReleaseGuest = %s, want %s", got, w)
	}
	if m := f.state(matinee); m.Holders["A1"] != alice {
		t.Errorf("ReleaseGuest of the gala freed alice's matinee seat: %s", holdersString(m.Holders))
	}

	c, err = f.store.ReleaseGuest(f.ctx, gala, alice)
	if err != nil {
		t.Fatalf("ReleaseGuest of a guest holding nothing = %v", err)
	}
	wantNoOp(t, c, gala, after.Version)
	f.unchanged(gala, after, "ReleaseGuest of a guest holding nothing")
}

// The operator's releases keep the change log bounded on their own: each
// round books every seat of the evening, one guest's seat at a time, then
// the operator frees them one change per seat (by seat, the last of each
// guest by guest), so that the log grows by a hall's worth of versions
// with no booking in between to compact it.
func testCompactionOperator(t *testing.T, f *fixture, keep int, raw RawLog) {
	var made []boxoffice.Change
	guests := []boxoffice.Guest{alice, bob, carol}
	hall := f.prog.Shows[0].Hall.Layout.Seats // evening's
	for round := range 4 {
		for i, s := range hall {
			made = append(made, f.book(evening, guests[i%3], string(s.ID)))
		}
		for i, s := range hall {
			f.clock.Set(t0.Add(time.Duration(round*len(hall)+i) * time.Second))
			var (
				c   boxoffice.Change
				err error
			)
			if i < len(hall)-len(guests) {
				c, err = f.store.ReleaseSeats(f.ctx, evening, seats(string(s.ID)))
			} else { // the guest's last seat
				c, err = f.store.ReleaseGuest(f.ctx, evening, guests[i%3])
			}
			if err != nil || len(c.Seats) != 1 || c.Seats[0].Seat != s.ID {
				t.Fatalf("round %d, release of %s: %s, %v; want that seat alone", round, s.ID, changeString(c), err)
			}
			made = append(made, c)
		}
	}
	wantBoundedLog(t, f, keep, raw, made)
}
