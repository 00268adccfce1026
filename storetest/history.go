package storetest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"boxoffice"
)

// ForgetHistory drops the change log of shows that started before the
// cutoff and the guests of their bookings: the seats stay booked, by
// nobody who can be traced, and readers are told the history is gone.
func testForgetHistory(t *testing.T, f *fixture) {
	f.book(matinee, alice, "A1", "A2") // t0+1h
	f.release(matinee, alice, "A2")
	f.book(gala, bob, "B2") // t0+2h
	f.book(evening, carol, "C3")
	evBefore := f.state(evening) // t0+3h: kept
	mat, err := f.store.SeatMap(f.ctx, matinee)
	if err != nil {
		t.Fatal(err)
	}

	n, err := f.store.ForgetHistory(f.ctx, t0.Add(150*time.Minute))
	if err != nil || n != 2 {
		// started (t0-30m) is before the cutoff too, but has nothing to forget.
		t.Fatalf("ForgetHistory = %d, %v; want 2 shows (matinee, gala)", n, err)
	}
	for show, held := range map[boxoffice.ShowID][]boxoffice.SeatID{matinee: {"A1"}, gala: {"B2"}} {
		m, err := f.store.SeatMap(f.ctx, show)
		if err != nil {
			t.Fatalf("SeatMap(%s) = %v", show, err)
		}
		want := map[boxoffice.SeatID]boxoffice.Guest{}
		for _, seat := range held {
			want[seat] = boxoffice.ForgottenGuest
		}
		if !maps.Equal(m.Holders, want) {
			t.Errorf("SeatMap(%s) after ForgetHistory = %s, want the same seats held by nobody traceable", show, holdersString(m.Holders))
		}
		_, err = f.store.ChangesSince(f.ctx, show, 0, allChanges)
		wantError(t, err, boxoffice.ErrHistoryGone, fmt.Sprintf("ChangesSince(%s, 0) after ForgetHistory", show))
		if cs, err := f.store.ChangesSince(f.ctx, show, m.Version, allChanges); err != nil || len(cs) != 0 {
			t.Errorf("ChangesSince(%s, its version) after ForgetHistory = %q, %v; want none", show, changeStrings(cs), err)
		}
	}
	f.unchanged(evening, evBefore, "ForgetHistory of older shows")

	// Nobody holds the seats now, not even their former holder; and the
	// marker is not a guest anyone can be.
	seatMap := func() string {
		t.Helper()
		m, err := f.store.SeatMap(f.ctx, matinee)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(m.Version, holdersString(m.Holders))
	}
	before := seatMap()
	if want := fmt.Sprint(mat.Version, "[A1=forgotten]"); before != want {
		t.Errorf("matinee after ForgetHistory: version and holders %s, want %s", before, want)
	}
	_, err = f.store.Release(f.ctx, matinee, seats("A1"), alice)
	wantError(t, err, boxoffice.ErrNotYours, "the former holder releasing a forgotten seat", "A1")
	_, err = f.store.Release(f.ctx, matinee, seats("A1"), boxoffice.ForgottenGuest)
	wantError(t, err, boxoffice.ErrInvalid, "releasing as the forgotten marker")
	_, err = f.store.Book(f.ctx, matinee, seats("A1", "B1"), boxoffice.ForgottenGuest, "", 0)
	wantError(t, err, boxoffice.ErrInvalid, "booking as the forgotten marker")
	if after := seatMap(); after != before {
		t.Errorf("refused writes to a forgotten show changed it: %s → %s", before, after)
	}

	if n, err := f.store.ForgetHistory(f.ctx, t0.Add(150*time.Minute)); err != nil || n != 0 {
		t.Errorf("a second ForgetHistory = %d, %v; want 0: nothing left to forget", n, err)
	}
}

// RawLog reads every row a store keeps in show's change log, grouped by
// version in version order, for the suite to check that the log stays
// bounded and still tells each seat's state.
type RawLog func(ctx context.Context, s boxoffice.Store, show boxoffice.ShowID) ([]boxoffice.Change, error)

// RunLog runs the suite of the bounded change log. newStore must honour
// Options.KeepVersions; raw reads a store's log as it is stored.
func RunLog(t *testing.T, newStore func(t *testing.T, opts Options) boxoffice.Store, raw RawLog) {
	for _, c := range []struct {
		name string
		keep int
		test func(t *testing.T, f *fixture, keep int, raw RawLog)
	}{
		{"Compaction", 40, testCompaction},
		{"CompactionDefault", 0, testCompactionDefault},
		{"CompactionOperator", 4, testCompactionOperator},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.test(t, newFixture(t, func(t *testing.T, opts Options) boxoffice.Store {
				opts.KeepVersions = c.keep
				return newStore(t, opts)
			}), c.keep, raw)
		})
	}
}

// defaultKeep is what both stores keep when KeepVersions is 0.
const defaultKeep = 2000

// testCompaction churns four seats of the evening show by three guests, one
// seat per change, far past the log's length.
func testCompaction(t *testing.T, f *fixture, keep int, raw RawLog) {
	var made []boxoffice.Change
	guests := []boxoffice.Guest{alice, bob, carol}
	for i := range 10*keep + 4 { // ends with four seats booked
		seat, g := fmt.Sprint("A", 1+i%4), guests[i/4%3]
		f.clock.Set(t0.Add(time.Duration(i) * time.Second))
		var c boxoffice.Change
		if i/4%2 == 0 {
			c = f.book(evening, g, seat)
		} else {
			c = f.release(evening, guests[(i/4-1)%3], seat)
		}
		made = append(made, c)
	}
	wantBoundedLog(t, f, keep, raw, made)
}

// At the real length, with guests booking and releasing at once: the store
// compacts inside its batches, as it does in service.
func testCompactionDefault(t *testing.T, f *fixture, _ int, raw RawLog) {
	hall := f.prog.Shows[2].Hall.Layout.Seats // gala's
	rounds := (defaultKeep+defaultKeep/20)/(2*len(hall)) + 10
	var wg sync.WaitGroup
	for i, seat := range hall {
		g := guest(fmt.Sprint("churn-", i))
		wg.Go(func() {
			for range rounds {
				for _, book := range []bool{true, false} {
					op := f.store.Release
					if book {
						op = func(ctx context.Context, show boxoffice.ShowID, s []boxoffice.SeatID, g boxoffice.Guest) (boxoffice.Change, error) {
							return f.store.Book(ctx, show, s, g, "", 0)
						}
					}
					if _, err := op(f.ctx, gala, []boxoffice.SeatID{seat.ID}, g); err != nil {
						t.Errorf("churning %s: %v", seat.ID, err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	m, err := f.store.SeatMap(f.ctx, gala)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(2 * rounds * len(hall)); m.Version != want {
		t.Fatalf("gala at version %d after the churn, want %d", m.Version, want)
	}
	rows, err := raw(f.ctx, f.store, gala)
	if err != nil {
		t.Fatal(err)
	}
	if max := defaultKeep + defaultKeep/20 + len(hall); countRows(rows) > max {
		t.Errorf("the log of gala holds %d rows after %d versions, want at most %d (%d versions, +1/20, + one per seat)",
			countRows(rows), m.Version, max, defaultKeep)
	}
	wantFromFloor(t, f, gala, m.Version, defaultKeep, nil)
}

// wantBoundedLog checks evening's log after made, the changes made one seat
// each: bounded, refusing readers from before its floor, complete above it,
// and still telling each seat's holder.
func wantBoundedLog(t *testing.T, f *fixture, keep int, raw RawLog, made []boxoffice.Change) {
	t.Helper()
	st, err := f.store.SeatMap(f.ctx, evening)
	if err != nil {
		t.Fatal(err)
	}
	model := replay(t, made, 0)
	if !maps.Equal(st.Holders, model) {
		t.Errorf("SeatMap after compaction = %s, want %s", holdersString(st.Holders), holdersString(model))
	}
	rows, err := raw(f.ctx, f.store, evening)
	if err != nil {
		t.Fatal(err)
	}
	seatsInHall := len(f.prog.Shows[0].Hall.Layout.Seats)
	if max := keep + keep/20 + seatsInHall; countRows(rows) > max {
		t.Errorf("the log holds %d rows after %d versions, want at most %d (%d versions, +1/20, + one per seat)",
			countRows(rows), len(made), max, keep)
	}
	// Each seat's latest row tells who holds it now.
	latest := map[boxoffice.SeatID]boxoffice.Guest{}
	for _, c := range rows {
		for _, sc := range c.Seats {
			if sc.Holder == "" {
				delete(latest, sc.Seat)
			} else {
				latest[sc.Seat] = sc.Holder
			}
		}
	}
	if !maps.Equal(latest, st.Holders) {
		t.Errorf("the log's latest row per seat gives %s, the seat map %s", holdersString(latest), holdersString(st.Holders))
	}
	_, err = f.store.ChangesSince(f.ctx, evening, 0, allChanges)
	wantError(t, err, boxoffice.ErrHistoryGone, "ChangesSince(0) after compaction")
	_, err = f.store.ChangesSince(f.ctx, evening, st.Version-int64(keep+keep/20)-1, 1)
	wantError(t, err, boxoffice.ErrHistoryGone, "ChangesSince from before the log's length")
	wantFromFloor(t, f, evening, st.Version, keep, made)
}

// wantFromFloor checks that the last keep versions of show read back
// complete and consecutive, and equal to made where given.
func wantFromFloor(t *testing.T, f *fixture, show boxoffice.ShowID, version int64, keep int, made []boxoffice.Change) {
	t.Helper()
	from := version - int64(keep)
	got, err := f.store.ChangesSince(f.ctx, show, from, allChanges)
	if err != nil {
		t.Fatalf("ChangesSince(version - %d) = %v, want the last %d changes", keep, err, keep)
	}
	if len(got) != keep {
		t.Fatalf("ChangesSince(version - %d) gave %d changes, want %d", keep, len(got), keep)
	}
	for i, c := range got {
		if c.Version != from+int64(i)+1 || len(c.Seats) == 0 {
			t.Fatalf("ChangesSince(version - %d): change %d is %s, want version %d", keep, i, changeString(c), from+int64(i)+1)
		}
	}
	if made != nil {
		if want := changeStrings(made[from:]); !slices.Equal(changeStrings(got), want) {
			t.Errorf("ChangesSince(version - %d) differs from the changes made", keep)
		}
	}
}

func countRows(log []boxoffice.Change) int {
	n := 0
	for _, c := range log {
		n += len(c.Seats)
	}
	return n
}
