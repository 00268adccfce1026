package storetest

import (
	"maps"
	"strconv"
	"testing"
	"time"

	"boxoffice"
)

func testBook(t *testing.T, f *fixture) {
	c := f.book(evening, alice, "A1")
	wantChange(t, c, evening, 1, t0, alice, alice, "A1")
	st := f.state(evening)
	if st.Version != 1 || len(st.Holders) != 1 || st.Holders["A1"] != alice {
		t.Errorf("after booking A1: version %d, holders %s; want 1, A1 alice's", st.Version, holdersString(st.Holders))
	}
	if len(st.Log) != 1 || changeString(st.Log[0]) != changeString(c) {
		t.Errorf("change log = %q, want just %q", changeStrings(st.Log), changeString(c))
	}

	// Booking one's own seat again changes nothing and still succeeds, so a
	// guest who clicks twice is not told the seat is taken.
	again := f.book(evening, alice, "A1")
	wantNoOp(t, again, evening, 1)
	f.unchanged(evening, st, "rebooking one's own seat")

	// Seats belong to a show, not to a hall.
	wantChange(t, f.book(matinee, bob, "A1"), matinee, 1, t0, bob, bob, "A1")
	f.unchanged(evening, st, "booking the same seat in another show")
}

func testBookTaken(t *testing.T, f *fixture) {
	f.book(evening, alice, "A1")
	before := f.state(evening)
	_, err := f.store.Book(f.ctx, evening, seats("A1"), bob, "", 0)
	wantError(t, err, boxoffice.ErrTaken, "Book of alice's seat by bob", "A1")
	f.unchanged(evening, before, "a refused booking")
}

func testRelease(t *testing.T, f *fixture) {
	f.book(evening, alice, "A1", "A2")
	c := f.release(evening, alice, "A1")
	wantChange(t, c, evening, 2, t0, "", alice, "A1")
	st := f.state(evening)
	if st.Version != 2 || len(st.Holders) != 1 || st.Holders["A2"] != alice {
		t.Errorf("after releasing A1: version %d, holders %s; want 2, only A2 alice's", st.Version, holdersString(st.Holders))
	}
	if n := len(st.Log); n != 2 || changeString(st.Log[n-1]) != changeString(c) {
		t.Errorf("change log = %q, want 2 changes ending with %q", changeStrings(st.Log), changeString(c))
	}

	// Releasing a free seat, freed just now or never booked, is a no-op.
	wantNoOp(t, f.release(evening, alice, "A1"), evening, 2)
	wantNoOp(t, f.release(evening, bob, "B3"), evening, 2)
	f.unchanged(evening, st, "releasing free seats")

	wantChange(t, f.book(evening, bob, "A1"), evening, 3, t0, bob, bob, "A1")
}

func testReleaseNotYours(t *testing.T, f *fixture) {
	f.book(evening, alice, "A1")
	f.book(evening, bob, "B1")
	before := f.state(evening)
	for _, try := range []struct {
		ids  []string
		want []string
	}{
		{[]string{"A1"}, []string{"A1"}},
		{[]string{"A1", "A3"}, []string{"A1"}}, // A3 is free
		{[]string{"B1", "A1"}, []string{"A1"}}, // B1 is bob's: not released either
	} {
		_, err := f.store.Release(f.ctx, evening, seats(try.ids...), bob)
		wantError(t, err, boxoffice.ErrNotYours, "bob releasing "+join(try.ids), try.want...)
	}
	f.unchanged(evening, before, "refused releases")
}

func testAllOrNothing(t *testing.T, f *fixture) {
	f.book(evening, bob, "A2")
	f.book(evening, carol, "C4")
	before := f.state(evening)
	for _, try := range []struct {
		ids    []string
		target *boxoffice.Error
		want   []string
	}{
		{[]string{"A1", "A2", "A3"}, boxoffice.ErrTaken, []string{"A2"}},
		{[]string{"A1", "A2", "C4", "A3"}, boxoffice.ErrTaken, []string{"A2", "C4"}},
		{[]string{"C4", "A1", "A2"}, boxoffice.ErrTaken, []string{"A2", "C4"}},
		{[]string{"A1", "Z9", "A3"}, boxoffice.ErrNotFound, []string{"Z9"}},
		{[]string{"A1", "Z9", "D1", "A3"}, boxoffice.ErrNotFound, []string{"Z9", "D1"}},
	} {
		_, err := f.store.Book(f.ctx, evening, seats(try.ids...), alice, "", 0)
		wantError(t, err, try.target, "alice booking "+join(try.ids), try.want...)
	}
	f.unchanged(evening, before, "refused batches")

	// Refusing a release is all or nothing too.
	f.book(evening, alice, "A1", "A3")
	before = f.state(evening)
	_, err := f.store.Release(f.ctx, evening, seats("A1", "A2", "A3"), alice)
	wantError(t, err, boxoffice.ErrNotYours, "alice releasing A1 A2 A3", "A2")
	_, err = f.store.Release(f.ctx, evening, seats("A1", "Z9"), alice)
	wantError(t, err, boxoffice.ErrNotFound, "alice releasing A1 Z9", "Z9")
	f.unchanged(evening, before, "refused batch releases")
}

func testBatchRules(t *testing.T, f *fixture) {
	// Repeated ids are one seat.
	wantChange(t, f.book(evening, alice, "A1", "A1", "A2", "A1"), evening, 1, t0, alice, alice, "A1", "A2")
	wantChange(t, f.release(evening, alice, "A2", "A2"), evening, 2, t0, "", alice, "A2")

	before := f.state(gala)
	all := f.prog.Halls[1].Layout.Seats
	var tooMany, most []string
	for _, s := range all[:boxoffice.MaxSeatsPerRequest+1] {
		tooMany = append(tooMany, string(s.ID))
	}
	most = tooMany[:boxoffice.MaxSeatsPerRequest]
	for name, ids := range map[string][]string{"no seats": nil, "empty list": {}, "too many seats": tooMany} {
		_, err := f.store.Book(f.ctx, gala, seats(ids...), alice, "", 0)
		wantError(t, err, boxoffice.ErrInvalid, "Book with "+name)
		_, err = f.store.Release(f.ctx, gala, seats(ids...), alice)
		wantError(t, err, boxoffice.ErrInvalid, "Release with "+name)
	}
	f.unchanged(gala, before, "invalid batches")

	wantChange(t, f.book(gala, alice, most...), gala, 1, t0, alice, alice, most...)
	wantChange(t, f.release(gala, alice, most...), gala, 2, t0, "", alice, most...)
}

// However many seats an operation names, it is one change at one version.
func testBatchIsOneChange(t *testing.T, f *fixture) {
	wantChange(t, f.book(evening, alice, "A1", "A2", "A3"), evening, 1, t0, alice, alice, "A1", "A2", "A3")
	if st := f.state(evening); st.Version != 1 || len(st.Log) != 1 || len(st.Holders) != 3 {
		t.Errorf("after one batch: version %d, %d changes, %d held; want 1, 1, 3", st.Version, len(st.Log), len(st.Holders))
	}
	// Seats already the guest's are left out of the change.
	wantChange(t, f.book(evening, alice, "A2", "A4", "B1"), evening, 2, t0, alice, alice, "A4", "B1")
	// And free seats out of a release.
	wantChange(t, f.release(evening, alice, "A1", "A4", "C1"), evening, 3, t0, "", alice, "A1", "A4")
	st := f.state(evening)
	want := map[boxoffice.SeatID]boxoffice.Guest{"A2": alice, "A3": alice, "B1": alice}
	if st.Version != 3 || len(st.Log) != 3 || !maps.Equal(st.Holders, want) {
		t.Errorf("after three batches: version %d, %d changes, holders %s; want 3, 3, A2 A3 B1", st.Version, len(st.Log), holdersString(st.Holders))
	}
}

// Sales close when the show starts, by the store's clock.
func testClosed(t *testing.T, f *fixture) {
	before := f.state(started)
	_, err := f.store.Book(f.ctx, started, seats("A1"), alice, "", 0)
	wantError(t, err, boxoffice.ErrClosed, "Book in a show that has started")
	_, err = f.store.Release(f.ctx, started, seats("A1"), alice)
	wantError(t, err, boxoffice.ErrClosed, "Release in a show that has started")
	f.unchanged(started, before, "operations on a show that has started")

	starts := t0.Add(time.Hour) // the matinee
	f.book(matinee, alice, "A1")
	f.clock.Set(starts.Add(-time.Second))
	wantChange(t, f.book(matinee, bob, "A2"), matinee, 2, starts.Add(-time.Second), bob, bob, "A2")

	before = f.state(matinee)
	for _, now := range []time.Time{starts, starts.Add(time.Minute), starts.Add(48 * time.Hour)} {
		f.clock.Set(now)
		_, err := f.store.Book(f.ctx, matinee, seats("A3"), carol, "", 0)
		wantError(t, err, boxoffice.ErrClosed, "Book at "+now.String())
		_, err = f.store.Release(f.ctx, matinee, seats("A1"), alice)
		wantError(t, err, boxoffice.ErrClosed, "Release at "+now.String())
	}
	f.unchanged(matinee, before, "operations after the start")

	// Each show closes at its own start.
	f.clock.Set(starts)
	wantChange(t, f.book(evening, carol, "A3"), evening, 1, starts, carol, carol, "A3")
}

// Seat ids are matched exactly: no case folding, trimming or number parsing,
// and odd bytes are refused like any unknown seat.
func testSeatIDsAreExact(t *testing.T, f *fixture) {
	f.book(evening, alice, "A1")
	before := f.state(evening)
	for _, id := range []string{"a1", " A1", "A1 ", "A01", "A1\x00", "A\x001", "", "A", "1", "A1,A2", "A1'--", "\xff\xfe", "Ａ1"} {
		_, err := f.store.Book(f.ctx, evening, seats(id), bob, "", 0)
		wantError(t, err, boxoffice.ErrNotFound, "Book of seat "+strconv.Quote(id), id)
		_, err = f.store.Book(f.ctx, evening, seats("A2", id), bob, "", 0)
		wantError(t, err, boxoffice.ErrNotFound, "Book of A2 and seat "+strconv.Quote(id), id)
		_, err = f.store.Release(f.ctx, evening, seats(id), alice)
		wantError(t, err, boxoffice.ErrNotFound, "Release of seat "+strconv.Quote(id), id)
	}
	f.unchanged(evening, before, "unknown seat ids")
}

// A booking without a guest would read as a free seat.
func testEmptyGuest(t *testing.T, f *fixture) {
	before := f.state(evening)
	_, err := f.store.Book(f.ctx, evening, seats("A1"), "", "", 0)
	wantError(t, err, boxoffice.ErrInvalid, "Book by no guest")
	_, err = f.store.Release(f.ctx, evening, seats("A1"), "")
	wantError(t, err, boxoffice.ErrInvalid, "Release by no guest")
	f.unchanged(evening, before, "operations by no guest")
}
